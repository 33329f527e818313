import type { ChannelName } from '../domain/channel.js';

/** The supplier picked for one message, and why (kept in the message's history). */
export interface ProviderChoice {
  readonly providerId: string;
  /** A short sentence for people, e.g. `first configured provider of channel "sms"`. */
  readonly why: string;
}

/**
 * Picks the supplier of `channel` for one message, skipping the ids in `exclude` (tried already in
 * this pass); undefined when none is left. Decided on the main thread, where the live health of
 * each supplier is known. A dry run (route explanations) answers the same question without
 * counting as a pick: no round-robin turn taken, no half-open probe used up.
 */
export type ChooseProvider = (channel: ChannelName, recipient: string, exclude: ReadonlySet<string>, dryRun?: boolean) => ProviderChoice | undefined;

/** The first configured supplier of the channel that has a connector and is not excluded. */
export function firstConfiguredProvider(
  channels: () => Readonly<Partial<Record<ChannelName, readonly string[]>>>,
  connected: (providerId: string) => boolean,
): ChooseProvider {
  return (channel, _recipient, exclude) => {
    const providerId = channels()[channel]?.find((id) => !exclude.has(id) && connected(id));
    return providerId === undefined ? undefined : { providerId, why: `first configured provider of channel "${channel}" not tried yet` };
  };
}
