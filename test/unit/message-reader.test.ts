import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { MessageReader } from '../../src/gateway/message-reader.js';

/** An object-mode duplex like grpc-js's server stream: the test pushes what the client would send. */
function fakeCall(): Duplex {
  const call = new Duplex({ objectMode: true, read() {}, write(_chunk, _encoding, callback) { callback(); } });
  call.on('error', () => {}); // grpc-js listens for 'error' too (it sends the status)
  return call;
}

test('returns buffered messages in order, then waits for the next, then null once the client half-closes', async () => {
  const call = fakeCall();
  const reader = new MessageReader<number>(call);
  call.push(1);
  call.push(2);
  assert.equal(await reader.next(), 1);
  assert.equal(await reader.next(), 2);
  const third = reader.next();
  setTimeout(() => call.push(3), 5);
  assert.equal(await third, 3);
  const end = reader.next();
  setTimeout(() => call.push(null), 5);
  assert.equal(await end, null);
  assert.equal(await reader.next(), null, 'and stays ended');
});

test('a half-close after buffered messages still yields those messages first', async () => {
  const call = fakeCall();
  const reader = new MessageReader<string>(call);
  call.push('a');
  call.push(null);
  assert.equal(await reader.next(), 'a');
  assert.equal(await reader.next(), null);
});

test('a waiting read ends with null when the call is destroyed (client cancel) or an error is emitted (status sent)', async () => {
  const cancelled = fakeCall();
  const waiting = new MessageReader<number>(cancelled).next();
  setTimeout(() => cancelled.destroy(), 5);
  assert.equal(await waiting, null);

  const failed = fakeCall();
  const reader = new MessageReader<number>(failed);
  failed.push(1);
  const first = await reader.next();
  assert.equal(first, 1);
  failed.push(2);
  failed.emit('error', new Error('ended with a status'));
  assert.equal(await reader.next(), null, 'nothing is read after the call failed, buffered or not');
});

test('with idleMs, a wait for the client that lasts that long fails with DEADLINE_EXCEEDED; time spent on the last message does not count', async () => {
  const call = fakeCall();
  const reader = new MessageReader<number>(call, 50);
  call.push(1);
  assert.equal(await reader.next(), 1);
  // The handler is busy for longer than idleMs: the client is not idle, it is being waited on.
  await new Promise((resolve) => setTimeout(resolve, 80));
  const second = reader.next();
  setTimeout(() => call.push(2), 30);
  assert.equal(await second, 2, 'a message within idleMs of the wait');
  const third = reader.next();
  setTimeout(() => call.push(3), 30);
  assert.equal(await third, 3, 'each wait gets its own idleMs');
  const startedMs = Date.now();
  const keepAlive = setTimeout(() => {}, 1000); // the idle timer is unref'd: a server keeps the process up, here this does
  await assert.rejects(reader.next(), (error: Error & { code?: number }) => error.code === 4 && /no message from the client for 0.05 s/.test(error.message));
  clearTimeout(keepAlive);
  assert.ok(Date.now() - startedMs >= 45, 'not before idleMs');
  call.destroy();
});
