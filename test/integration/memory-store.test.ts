import { MemoryStore } from '../../src/store/memory-store.js';
import { describeOptOutList } from '../conformance/opt-out-list.suite.js';
import { describeStore } from '../conformance/store.suite.js';

const memorySettings = (maxQueuedMessages: number) => ({
  kind: 'memory' as const,
  maxQueuedMessages,
  dedupWindowMs: 60_000,
  statusRetentionMs: 60_000,
  maxStatusRecords: 10_000,
  reportRetentionPerTenant: 10_000,
});

describeOptOutList('memory', async () => {
  const list = new MemoryStore(memorySettings(10));
  return { list, cleanup: () => list.close() };
});

describeStore('memory', async ({ maxQueuedMessages }) => {
  const store = new MemoryStore({
    kind: 'memory',
    maxQueuedMessages,
    dedupWindowMs: 60_000,
    statusRetentionMs: 60_000,
    maxStatusRecords: 10_000,
    reportRetentionPerTenant: 10_000,
  });
  return { store, cleanup: () => store.close() };
});
