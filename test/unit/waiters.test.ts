import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Waiters } from '../../src/store/waiters.js';
import { fullGc } from '../helpers/full-gc.js';

/** Resolves true if `promise` settles within ms, else false. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}

test('waitAtMost ends after its time even when a full GC runs while it waits (what AbortSignal.any with a timeout does not on Node 20)', async () => {
  const waiters = new Waiters();
  const never = new AbortController();
  for (let i = 0; i < 10; i++) {
    const waiting = waiters.waitAtMost(20, never.signal);
    await nextTurn();
    fullGc();
    assert.equal(await settlesWithin(waiting, 1000), true, `wait ${i} ended`);
  }
});

test('waitAtMost ends on notify or abort before its time, and a woken or timed-out waiter is not kept', async () => {
  const waiters = new Waiters();
  const never = new AbortController();
  const notified = waiters.waitAtMost(60_000, never.signal);
  waiters.notify();
  assert.equal(await settlesWithin(notified, 1000), true);

  const stop = new AbortController();
  const aborted = waiters.waitAtMost(60_000, stop.signal);
  stop.abort();
  assert.equal(await settlesWithin(aborted, 1000), true);
  assert.equal(await settlesWithin(waiters.wait(stop.signal), 1000), true, 'an aborted signal ends a wait at once');

  // A poller that times out 1,000 times between notifies leaves nothing behind (it did: one closure per poll).
  // (The wait's timer is unref'd, as a poll alone must not keep a process alive: this one does meanwhile.)
  const alive = setInterval(() => {}, 1000);
  for (let i = 0; i < 1000; i++) await waiters.waitAtMost(0, never.signal);
  clearInterval(alive);
  assert.equal((waiters as unknown as { pending: Set<unknown> }).pending.size, 0);
});
