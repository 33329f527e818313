import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { addMainThreadCeilings } from '../../../bench/lib/main-thread-ceilings.js';
import { mainThreadCpuMs, processCpuMs } from '../../../bench/lib/processes.js';

test('the ceiling ratios are the echo main-thread µs per message over the slowest main thread of the case', () => {
  const metrics: Record<string, number | null> = {
    'baseline.echoBatched.mainThreadUsPerMsg': 2.5,
    'baseline.echoSingle.mainThreadUsPerMsg': 20,
    'bulk.memory.mainThreadUsPerMsg': 25,
    'bulk.redis.mainThreadUsPerMsg': 30,
    'bulk.redis.redisMainThreadUsPerMsg': 50, // redis-server is the bottleneck of that case
    'single.memory.mainThreadUsPerMsg': null, // not measured (e.g. no /proc)
  };
  addMainThreadCeilings(metrics);
  assert.equal(metrics['bulk.memory.mainThreadCeilingRatio'], 0.1);
  assert.equal(metrics['bulk.redis.mainThreadCeilingRatio'], 0.05);
  assert.equal('single.memory.mainThreadCeilingRatio' in metrics, false, 'no ratio from a figure that was not measured');
});

test("a process's main-thread CPU is read apart from its other threads' (Linux /proc)", async () => {
  const mainBefore = mainThreadCpuMs(process.pid);
  const allBefore = processCpuMs(process.pid);
  // 300 ms of CPU on a worker thread, none on this one (it waits).
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker('const end = Date.now() + 300; while (Date.now() < end);', { eval: true });
    worker.on('exit', () => resolve()).on('error', reject);
  });
  const mainSpent = mainThreadCpuMs(process.pid) - mainBefore;
  const allSpent = processCpuMs(process.pid) - allBefore;
  assert.ok(allSpent >= 100, `the process used ${allSpent} ms`);
  assert.ok(mainSpent < allSpent / 2, `the main thread used ${mainSpent} ms of the process's ${allSpent}`);
});
