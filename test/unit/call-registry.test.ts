import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { CallRegistry } from '../../src/gateway/call-registry.js';
import { GatewayError } from '../../src/gateway/gateway-error.js';

test("a call's signal aborts on the client's cancel, whether it was asked for before or after", () => {
  const calls = new CallRegistry();
  const early = new EventEmitter();
  const earlyScope = calls.open(early);
  const signal = earlyScope.signal;
  early.emit('cancelled');
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as Error).name, 'AbortError');

  const late = new EventEmitter();
  const lateScope = calls.open(late);
  late.emit('cancelled');
  assert.equal(lateScope.signal.aborted, true, 'made after the cancel, already aborted');
  assert.equal((lateScope.signal.reason as Error).name, 'AbortError');
});

test('drain aborts every open call with UNAVAILABLE, and calls opened while draining start aborted; closed calls are forgotten', () => {
  const calls = new CallRegistry();
  const asked = calls.open(new EventEmitter());
  const signal = asked.signal;
  const neverAsked = calls.open(new EventEmitter());
  const closed = calls.open(new EventEmitter());
  calls.close(closed);
  assert.equal(calls.size, 2);
  calls.drain();
  assert.equal(signal.aborted, true);
  assert.ok(signal.reason instanceof GatewayError && signal.reason.details === 'server shutting down');
  assert.equal(neverAsked.signal.aborted, true, 'a signal made after the drain is aborted too');
  assert.equal(closed.signal.aborted, false, 'a closed call is not aborted');
  assert.equal(calls.open(new EventEmitter()).signal.aborted, true, 'opened while draining');
});

test("a 'cancelled' that comes after the call closed (grpc-js emits one after every status) aborts nothing", () => {
  const calls = new CallRegistry();
  const call = new EventEmitter();
  const scope = calls.open(call);
  calls.close(scope);
  call.emit('cancelled');
  assert.equal(scope.signal.aborted, false);
});
