import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBackgroundLoad } from '../../bench/lib/background-load.js';
import { benchMessage, BENCH_API_KEY } from '../../bench/lib/bench-config.js';
import { freePort, startEchoServer } from '../../bench/lib/processes.js';

test('a background load runs on its worker thread and reports its rate and p99', async (t) => {
  const echo = await startEchoServer();
  t.after(() => echo.stop());
  const result = await runBackgroundLoad({
    target: echo.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: 10,
    ratePerSec: 2000, durationMs: 500, message: benchMessage(),
  });
  assert.equal(result.errors, 0, result.errorMessages.join('; '));
  assert.ok(result.acceptedPerSec > 1000 && result.acceptedPerSec < 3000, `accepted ${result.acceptedPerSec}/s at 2000/s offered`);
  assert.ok(result.ackP99Ms > 0);
});

test('a background load that cannot connect fails with the reason, also when awaited only later', async () => {
  const port = await freePort();
  const load = runBackgroundLoad({ target: `127.0.0.1:${port}`, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 1, batchSize: 10, ratePerSec: 100, durationMs: 200, message: benchMessage() });
  // The scenarios measure something else first; the failure must wait for their await.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  await assert.rejects(load, /cannot connect to 127\.0\.0\.1/);
});
