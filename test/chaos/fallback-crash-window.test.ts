// A node that dies while a message moves on to the next channel of its chain must not lose it
// (RELIABILITY.md: lost = 0 under kill -9, rows A2 and E3; B9 for the fallback itself). The node
// "dies" at a chosen point of the move: after its first `allowed` store writes following the
// moment the move starts, every store call fails, and then it stops. A second node on the same
// Redis must deliver the message on the next channel, once.
// - At submit: the AlimTalk supplier refuses the message for good, so the dispatcher records
//   FALLBACK, ends the claim and queues the message for SMS. The second node finds it queued, or
//   takes over the open claim.
// - By report: AlimTalk reports the message FAILED, so the report ingestor takes the fallback
//   plan, records FALLBACK, queues the message for LMS and finishes the move before acking the
//   report. The supplier resends the unacked report to the second node.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import type { Config } from '../../src/config/config.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel as ProviderChannel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import type { OperatorStates } from '../../src/store/operator-states.js';
import type { OptOutList } from '../../src/store/opt-out-list.js';
import type { EventToRecord, FallbackTake, MessageStore } from '../../src/store/store.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

type Store = MessageStore & OptOutList & OperatorStates;
/** Store calls that change nothing; they keep working between the start of the move and the node's death. */
const READS = new Set(['claim', 'getStatus', 'getTenantOf', 'readReports', 'latestCursor', 'findByProviderRefs', 'findOptedOut', 'readOperatorStates']);
/** When a move starts: the call, its arguments and its result. */
type MoveStarts = (name: string, args: unknown[], result: unknown) => boolean;

const fallbackRecorded: MoveStarts = (name, args) => name === 'recordEvents' && (args[0] as EventToRecord[]).some((e) => e.event.state === 'fallback');
const planTakenByReport: MoveStarts = (name, _args, result) => name === 'settleAttempts' && (result as FallbackTake[]).some((take) => take.kind === 'plan');

/** A store that dies `allowed` writes after a move starts: from then on every call throws (close still works). */
function dyingStore(moveStarts: MoveStarts, allowed: number): { wrap: (store: Store) => Store; state: { dead: boolean } } {
  const state = { started: false, dead: false };
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
            if (state.started && !READS.has(name) && writesLeft-- === 0) {
              state.dead = true;
              throw new Error(`injected fault: the node died (${name})`);
            }
          }
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!state.started && moveStarts(name, args, result)) {
            state.started = true;
            if (writesLeft === 0) state.dead = true;
          }
          return result;
        };
      },
    });
  return { wrap, state };
}

interface Setup {
  readonly redis: RedisServer;
  readonly sms: SimProvider;
  readonly kakao: SimProvider;
  readonly config: Config;
}

async function setUp(t: TestContext, route: Record<string, unknown>): Promise<Setup> {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const sms = await startSimProvider({ id: 'sim-sms', channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS] });
  // Reports come well after the dispatcher's own writes for the submit, so only the ingestor writes around a report's move.
  const kakao = await startSimProvider({ id: 'sim-kakao', channels: [ProviderChannel.CHANNEL_ALIMTALK], dlrDelayMs: 300 });
  t.after(() => Promise.all([sms.close(), kakao.close()]));
  const raw = rawTestConfig({ sms: [sms.address], alimtalk: kakao.address }) as Record<string, any>;
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 2, claimIdle: '600ms' };
  raw['routing'].routes = [route];
  return { redis, sms, kakao, config: compileTestConfig(raw) };
}

/** A node with its client; `stop` is registered with t.after too and runs once. */
async function startNode(t: TestContext, config: Config, wrapStore?: (store: Store) => Store): Promise<{ client: GatewayTestClient; stop: () => Promise<void> }> {
  // No report-deadline sweeps on the dying node: only the dispatcher and the ingestor write around a move.
  const node = await startGatewayNode(config, { now: daytimeKstClock(), reportSweepIntervalMs: 3_600_000, ...(wrapStore === undefined ? {} : { wrapStore }) });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.close();
    await node.stop().catch(() => {});
  };
  t.after(stop);
  return { client, stop };
}

/** Sends one message on node 1, which dies as told; returns the message's final status as node 2 reads it. */
async function moveAcrossADeath(t: TestContext, setup: Setup, recipient: string, moveStarts: MoveStarts, allowed: number): Promise<{ messageId: string; status: MessageStatus }> {
  const dying = dyingStore(moveStarts, allowed);
  const first = await startNode(t, setup.config, dying.wrap);
  const { messageId } = await first.client.send({ recipient, variables: { name: 'Kim' } });
  await waitFor(() => dying.state.dead, 10_000, 'the first node to start the move and die');
  await first.stop();
  assert.deepEqual(setup.sms.received(), [], 'the first node sent nothing on the next channel');

  const second = await startNode(t, setup.config);
  let status: MessageStatus | undefined;
  await waitFor(async () => (status = await second.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 20_000, `${messageId} to be DELIVERED by the second node`);
  return { messageId, status: status! };
}

const steps = (status: MessageStatus): string[] => status.history.map((e) => stateName(e.state));

for (const allowed of [0, 1]) {
  test(`at submit: a node that dies ${allowed} store write(s) after recording FALLBACK loses nothing; another node sends the SMS, once`, async (t) => {
    const setup = await setUp(t, { name: 'kakao-then-sms', chain: ['alimtalk', 'sms'] });
    // "...0004": the AlimTalk sim refuses TEMPLATE_MISMATCH at submit, for good.
    const { messageId, status } = await moveAcrossADeath(t, setup, '010-1234-0004', fallbackRecorded, allowed);
    assert.deepEqual(setup.sms.received(), [messageId], 'sent by SMS exactly once');
    assert.ok(setup.kakao.received().length >= 1 && setup.kakao.received().every((id) => id === messageId));
    assert.deepEqual(steps(status).slice(0, 3), ['ACCEPTED', 'ROUTED', 'FALLBACK']);
    assert.deepEqual(steps(status).slice(-3), ['ROUTED', 'SUBMITTED', 'DELIVERED']);
  });
}

for (const allowed of [0, 1, 2]) {
  test(`by report: a node that dies ${allowed} store write(s) after a FAILED report took the plan loses nothing; another node sends the LMS, once`, async (t) => {
    const setup = await setUp(t, { name: 'kakao-then-lms', chain: ['alimtalk', 'lms'] });
    // "...0002": AlimTalk takes it, then reports FAILED (NO_KAKAOTALK), twice under two report ids.
    const { messageId, status } = await moveAcrossADeath(t, setup, '010-1234-0002', planTakenByReport, allowed);
    assert.deepEqual(setup.sms.received(), [messageId], 'sent by LMS exactly once');
    assert.deepEqual(setup.kakao.received(), [messageId], 'sent by AlimTalk once');
    assert.deepEqual(steps(status), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'FALLBACK', 'ROUTED', 'SUBMITTED', 'DELIVERED'], 'FALLBACK recorded once');
  });
}
