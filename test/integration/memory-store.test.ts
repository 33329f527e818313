import { MemoryStore } from '../../src/store/memory-store.js';
import { describeStore } from '../conformance/store.suite.js';

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
