import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientRefWindow } from '../../src/store/client-ref-window.js';

const holder = (messageId: string, atMs: number, fingerprint = 'fp-0000000000000000000'): { messageId: string; atMs: number; fingerprint: string } => ({ messageId, atMs, fingerprint });

test('a client_ref window gives back what was set, by key', () => {
  const window = new ClientRefWindow(100);
  window.set('bank\u0000ref-1', holder('m-1', 1_764_000_000_123), false);
  window.set('bank\u0000ref-2', holder('메시지\t2', 5), false);
  window.set('card\u0000ref-1', holder('m-3', 7, 'other-fingerprint'), false);
  assert.deepEqual(window.get('bank\u0000ref-1'), holder('m-1', 1_764_000_000_123));
  assert.deepEqual(window.get('bank\u0000ref-2'), holder('메시지\t2', 5), 'a message id with a tab and Korean');
  assert.deepEqual(window.get('card\u0000ref-1'), holder('m-3', 7, 'other-fingerprint'));
  assert.equal(window.get('bank\u0000ref-3'), undefined);
  assert.equal(window.get('bank\u0000ref'), undefined, 'a prefix of a key is another key');
  assert.equal(window.size, 3);
});

test('keys with newlines and backslashes are kept apart from the keys they could be confused with', () => {
  const window = new ClientRefWindow(100);
  const keys = ['t\u0000a\nb', 't\u0000a\\nb', 't\u0000a\\\nb', 't\u0000a\\\\nb', 't\u0000a', 't\u0000\n'];
  keys.forEach((key, i) => window.set(key, holder(`m-${i}`, i), false));
  keys.forEach((key, i) => assert.deepEqual(window.get(key), holder(`m-${i}`, i), JSON.stringify(key)));
  assert.equal(window.size, keys.length);
});

test('replacing an expired holder makes the new one the newest entry', () => {
  const window = new ClientRefWindow(100);
  window.set('t\u0000old', holder('m-1', 0), false);
  window.set('t\u0000other', holder('m-2', 50), false);
  window.set('t\u0000old', holder('m-3', 100), true);
  assert.equal(window.size, 2);
  assert.deepEqual(window.get('t\u0000old'), holder('m-3', 100));
  // Age order: "other" (50) is now the oldest, so a trim at a 60 ms window drops it and keeps "old".
  window.trim(110, 60, 100, 10);
  assert.equal(window.get('t\u0000other'), undefined);
  assert.deepEqual(window.get('t\u0000old'), holder('m-3', 100));
});

test('trim forgets the oldest entries past the window or the count, at most `limit` a call', () => {
  const window = new ClientRefWindow(100);
  for (let i = 0; i < 10; i++) window.set(`t\u0000ref-${i}`, holder(`m-${i}`, i * 10), false);
  window.trim(100, 1000, 100, 5); // none due, under the count
  assert.equal(window.size, 10);
  window.trim(100, 1000, 7, 5); // three past the count of 7
  assert.equal(window.size, 7);
  assert.equal(window.get('t\u0000ref-2'), undefined);
  assert.deepEqual(window.get('t\u0000ref-3'), holder('m-3', 30));
  window.trim(100, 45, 100, 2); // 3, 4 and 5 are 45 ms old or more at 100: two this call
  assert.equal(window.size, 5);
  window.trim(100, 45, 100, 2);
  assert.equal(window.size, 4);
  assert.equal(window.get('t\u0000ref-5'), undefined);
  assert.deepEqual(window.get('t\u0000ref-6'), holder('m-6', 60));
});
