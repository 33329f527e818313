// A node that dies while a message moves on to the next channel of its chain must not lose it
// (RELIABILITY.md: lost = 0 under kill -9, rows A2 and E3; B9 for the fallback itself). The
// AlimTalk supplier refuses the message for good at submit, so the dispatcher records FALLBACK,
// ends the claim and queues the message for SMS. The node "dies" right after FALLBACK is recorded:
// after its first `allowed` store writes every store call fails, then it stops. A second node on
// the same Redis must deliver the message by SMS: from the queue, or by taking over the open claim.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode, type GatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel as ProviderChannel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import type { OptOutList } from '../../src/store/opt-out-list.js';
import type { EventToRecord, MessageStore } from '../../src/store/store.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

type Store = MessageStore & OptOutList;
/** Store calls that change nothing; they keep working between FALLBACK and the node's death. */
const READS = new Set(['claim', 'getStatus', 'getTenantOf', 'readReports', 'latestCursor', 'findByProviderRefs', 'findOptedOut']);

/** A store that dies `allowed` writes after the first FALLBACK event it records: from then on every call throws (close still works). */
function dyingAfterFallback(allowed: number): { wrap: (store: Store) => Store; state: { fallbackRecorded: boolean; dead: boolean } } {
  const state = { fallbackRecorded: false, dead: false };
  let writesLeft = allowed;
  const wrap = (store: Store): Store =>
    new Proxy(store, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const name = String(prop);
        return async (...args: unknown[]) => {
          if (name !== 'close') {
            if (state.dead) throw new Error(`injected fault: the node died (${name})`);
            if (state.fallbackRecorded && !READS.has(name) && writesLeft-- === 0) {
              state.dead = true;
              throw new Error(`injected fault: the node died (${name})`);
            }
          }
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          if (name === 'recordEvents' && (args[0] as EventToRecord[]).some((e) => e.event.state === 'fallback')) {
            state.fallbackRecorded = true;
            if (writesLeft === 0) state.dead = true;
          }
          return result;
        };
      },
    });
  return { wrap, state };
}

function config(redis: RedisServer, keyPrefix: string, sms: SimProvider, kakao: SimProvider) {
  const raw = rawTestConfig({ sms: [sms.address], alimtalk: kakao.address }) as Record<string, any>;
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix, shards: 2, claimIdle: '600ms' };
  raw['routing'].routes = [{ name: 'kakao-then-sms', chain: ['alimtalk', 'sms'] }];
  return compileTestConfig(raw);
}

async function startNode(t: TestContext, cfg: ReturnType<typeof config>, wrapStore?: (store: Store) => Store): Promise<{ node: GatewayNode; client: GatewayTestClient }> {
  // No report-deadline sweeps on the dying node: only the dispatcher writes around the fallback.
  const node = await startGatewayNode(cfg, { now: daytimeKstClock(), reportSweepIntervalMs: 3_600_000, ...(wrapStore === undefined ? {} : { wrapStore }) });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.close();
    await node.stop().catch(() => {});
  };
  t.after(stop);
  return { node, client: Object.assign(client, { stopNode: stop }) };
}

for (const allowed of [0, 1]) {
  test(`a node that dies ${allowed} store write(s) after recording FALLBACK loses nothing: another node delivers the message by SMS, once`, async (t) => {
    const redis = await startRedis();
    t.after(() => redis.destroy());
    const sms = await startSimProvider({ id: 'sim-sms', channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS] });
    const kakao = await startSimProvider({ id: 'sim-kakao', channels: [ProviderChannel.CHANNEL_ALIMTALK] });
    t.after(() => Promise.all([sms.close(), kakao.close()]));
    const cfg = config(redis, `t${randomUUID().slice(0, 8)}`, sms, kakao);

    const dying = dyingAfterFallback(allowed);
    const first = await startNode(t, cfg, dying.wrap);
    // "...0004": the AlimTalk sim refuses TEMPLATE_MISMATCH at submit, for good.
    const { messageId } = await first.client.send({ recipient: '010-1234-0004', variables: { name: 'Kim' } });
    await waitFor(() => dying.state.dead, 10_000, 'the first node to record FALLBACK and die');
    await (first.client as GatewayTestClient & { stopNode(): Promise<void> }).stopNode();
    assert.deepEqual(sms.received(), [], 'the first node sent nothing by SMS');

    const second = await startNode(t, cfg);
    let status: MessageStatus | undefined;
    await waitFor(async () => (status = await second.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 20_000, `${messageId} to be DELIVERED by the second node`);
    assert.deepEqual(sms.received(), [messageId], 'sent by SMS exactly once');
    assert.ok(kakao.received().every((id) => id === messageId) && kakao.received().length >= 1);
    const steps = status!.history.map((e) => stateName(e.state));
    assert.deepEqual(steps.slice(0, 3), ['ACCEPTED', 'ROUTED', 'FALLBACK']);
    assert.deepEqual(steps.slice(-3), ['ROUTED', 'SUBMITTED', 'DELIVERED']);
  });
}
