import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { startSimProvider, type SimProvider, type SimProviderOptions } from '../../src/channels/sim-provider.js';
import { startGatewayNode, type GatewayNode } from '../../src/gateway/gateway-node.js';
import { daytimeKstClock } from './fake-clock.js';
import { GatewayTestClient } from './gateway-calls.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from './test-config.js';

export interface TestGateway {
  readonly node: GatewayNode;
  readonly sms: SimProvider;
  readonly kakao: SimProvider;
  /** A client authenticated as tenant-a. */
  readonly client: GatewayTestClient;
  stop(): Promise<void>;
}

/**
 * An in-process gateway on the memory store with a simulated SMS provider (options `sim`) and a
 * simulated AlimTalk provider (options `kakaoSim`), all on free 127.0.0.1 ports, its clock at
 * midday KST (daytimeKstClock).
 * Register `stop` with t.after right away.
 */
export async function startTestGateway(
  sim: Partial<SimProviderOptions> = {},
  configure?: (raw: Record<string, unknown>) => void,
  kakaoSim: Partial<SimProviderOptions> = {},
): Promise<TestGateway> {
  const sms = await startSimProvider({ id: 'sim-sms', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ...sim });
  const kakao = await startSimProvider({ id: 'sim-kakao', channels: [Channel.CHANNEL_ALIMTALK], ...kakaoSim });
  const raw = rawTestConfig({ sms: [sms.address], alimtalk: kakao.address });
  configure?.(raw);
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  return {
    node,
    sms,
    kakao,
    client,
    stop: async () => {
      client.close();
      await node.stop();
      await Promise.all([sms.close(), kakao.close()]);
    },
  };
}

export interface BareTestGateway {
  readonly node: GatewayNode;
  /** A client authenticated as tenant-a. */
  readonly client: GatewayTestClient;
  stop(): Promise<void>;
}

/**
 * An in-process gateway on the memory store whose SMS providers are at the given addresses,
 * for tests that start, stop or leave out the providers themselves (e.g. a provider that is down).
 * Register `stop` with t.after right away.
 */
export async function startGatewayForProviders(smsAddresses: string[], configure?: (raw: Record<string, unknown>) => void): Promise<BareTestGateway> {
  const raw = rawTestConfig({ sms: smsAddresses });
  configure?.(raw);
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  return {
    node,
    client,
    stop: async () => {
      client.close();
      await node.stop();
    },
  };
}
