// The report ingest stores a batch, then acks it; a batch the store failed to take is tried
// again. A failure report that took its message's fallback plan must still move the message on
// when the first try failed after the plan was taken (taken again, the plan would be gone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProviderConnector, ProviderReportBatch } from '../../src/channels/provider-connector.js';
import type { Config } from '../../src/config/config.js';
import { ingestReports, type IngestStats } from '../../src/gateway/report-ingestor.js';
import { createGatewayMetrics } from '../../src/metrics.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { EventToRecord, RecordOutcome } from '../../src/store/store.js';
import { makeAccepted } from '../conformance/store.suite.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';
import { timeoutSignal } from '../helpers/timeout-signal.js';

/** A memory store whose recordEvents fails `failures` times, like a Redis store during a failover. */
class FlakyStore extends MemoryStore {
  constructor(private failures: number) {
    super({ kind: 'memory', maxQueuedMessages: 1000, dedupWindowMs: 60_000, statusRetentionMs: 60_000, maxStatusRecords: 1000, reportRetentionPerTenant: 1000, heapBudgetMb: 192 });
  }

  override async recordEvents(events: readonly EventToRecord[]): Promise<RecordOutcome[]> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('store unavailable');
    }
    return super.recordEvents(events);
  }
}

test('a failure report whose first store attempt failed still falls back once, and the batch is acked once stored', async (t) => {
  const store = new FlakyStore(0);
  t.after(() => store.close());
  const [outcome] = await store.enqueue([makeAccepted({ recipient: '+821012340002' })]);
  const messageId = outcome?.kind === 'accepted' ? outcome.messageId : '';
  const [claimed] = await store.claim(1, timeoutSignal(1000));
  await store.complete([messageId]);
  await store.keepFallbackPlans([{ message: claimed!.message, channel: 'alimtalk', next: ['lms'], step: 0, routeName: 'kakao-first' }]);
  // From here the store fails the next two writes of events.
  (store as unknown as { failures: number }).failures = 2;

  let acked = 0;
  const batch: ProviderReportBatch = {
    reports: [{ reportId: 'r1', delivery: { messageId, providerRef: 'ref-1', state: 'failed', code: 'NO_KAKAOTALK', description: 'no KakaoTalk', doneAtMs: 1 }, inbound: null }],
    ack: () => acked++,
  };
  const connector = {
    id: 'kakao',
    reports: async function* () {
      yield batch;
    },
  } as unknown as ProviderConnector;
  const config: Config = compileTestConfig(rawTestConfig({ sms: ['127.0.0.1:1'], alimtalk: '127.0.0.1:2' }));
  const stats: IngestStats = { unknownDeliveries: 0, unattributedInbound: 0 };
  const stop = new AbortController();
  t.after(() => stop.abort());
  await ingestReports(connector, { store, metrics: createGatewayMetrics(), config: () => config, now: Date.now, chooseProvider: () => undefined }, stats, stop.signal);

  assert.equal(acked, 1);
  const status = await store.getStatus('tenant-a', messageId);
  assert.deepEqual(status?.history.map((e) => e.state), ['accepted', 'fallback']);
  // The message is queued again for LMS, once.
  const [again] = await store.claim(1, timeoutSignal(5000));
  assert.equal(again?.message.messageId, messageId);
  assert.deepEqual(again?.message.fallback?.channels, ['lms']);
  assert.deepEqual(await store.claim(1, timeoutSignal(300)), []);
});
