import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { Channel, type Capabilities } from '../../gen/switchboard/provider/v1/provider.js';
import { fail, pass, type Check } from '../check.js';
import { channelName } from '../check-context.js';

/** Below this, a body limit cannot carry one short Korean SMS (90 bytes), so it is surely wrong. */
const MIN_SANE_BODY_BYTES = 90;

/** GetCapabilities answers, lists known channels (the tested one among them) and states sane limits. */
export const capabilitiesCheck: Check = {
  name: 'capabilities',
  summary: 'GetCapabilities answers with the channels carried and sane limits',
  async run(context) {
    let capabilities: Capabilities;
    try {
      capabilities = await new Promise<Capabilities>((resolve, reject) => {
        context.client.getCapabilities({}, new Metadata(), { deadline: Date.now() + context.settings.timeoutMs }, (error: ServiceError | null, answer) =>
          error ? reject(error) : resolve(answer),
        );
      });
    } catch (error) {
      return fail(`GetCapabilities failed: ${(error as Error).message}`);
    }
    const problems: string[] = [];
    const channels = capabilities.channels;
    if (channels.length === 0) problems.push('lists no channels');
    const unknown = channels.filter((c) => c === Channel.CHANNEL_UNSPECIFIED || Channel[c] === undefined || c === Channel.UNRECOGNIZED);
    if (unknown.length > 0) problems.push(`lists unspecified or unknown channel values ${unknown.join(', ')}`);
    if (new Set(channels).size !== channels.length) problems.push('lists a channel twice');
    const wanted = context.settings.channel;
    if (wanted !== undefined && !channels.includes(wanted)) problems.push(`does not list the channel under test, ${channelName(wanted)}`);
    if (capabilities.maxBodyBytes > 0 && capabilities.maxBodyBytes < MIN_SANE_BODY_BYTES) {
      problems.push(`max_body_bytes ${capabilities.maxBodyBytes} is below ${MIN_SANE_BODY_BYTES}, too small for one short SMS (0 means no limit)`);
    }
    if (problems.length > 0) return fail(`GetCapabilities ${problems.join('; ')}`);
    context.capabilities = capabilities;
    const limit = (n: number): string => (n === 0 ? 'none' : String(n));
    return pass(
      `channels ${channels.map(channelName).join(',')}; max_in_flight ${limit(capabilities.maxInFlight)}, ` +
        `max_tps ${limit(capabilities.maxTps)}, max_body_bytes ${limit(capabilities.maxBodyBytes)}`,
    );
  },
};
