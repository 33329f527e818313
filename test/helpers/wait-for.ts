import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `predicate` until it returns true, for "eventually" checks without timing
 * assertions. Rejects after `timeoutMs` (generous by default, so slow CI only waits
 * longer) with `message` and the time waited.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  message = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
