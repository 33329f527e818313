import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusEvent } from '../../src/domain/status-event.js';
import { decodeStatusEventLine, encodeStatusEventLine } from '../../src/store/status-event-line.js';

const event: StatusEvent = {
  messageId: '01JABCDEFGHJKMNPQRSTVWX.3',
  state: 'failed',
  atMs: 1_795_000_000_123,
  channel: 'lms',
  providerId: 'kt-lms',
  providerRef: 'ref\twith\ttabs',
  code: 'E\\42',
  billableUnits: 3,
  reason: 'line one\nline two\r\x1fend \\t is not a tab',
  why: 'route "otp"\tmatched; supplier kt-lms (weight 3 of 4)',
};

test('a status event line keeps every field, including text with tabs, newlines, backslashes and U+001F', () => {
  const line = encodeStatusEventLine(event);
  assert.doesNotMatch(line, /[\n\r\x1f]/, 'separators are escaped');
  assert.equal(line.split('\t').length, 9, 'one tab between each of the nine fields, none inside them');
  assert.deepEqual(decodeStatusEventLine(event.messageId, line), event);
});

test('an event without channel or provider reads back with channel null and empty strings', () => {
  const { why: _, ...withoutWhy } = event;
  const accepted: StatusEvent = { ...withoutWhy, state: 'accepted', channel: null, providerId: '', providerRef: '', code: '', reason: '', billableUnits: 0 };
  assert.deepEqual(decodeStatusEventLine(accepted.messageId, encodeStatusEventLine(accepted)), accepted);
});

test('a JSON line written by an earlier version is still read, under the id it is stored with', () => {
  const old = JSON.stringify({ ...event, messageId: 'old-id' });
  assert.deepEqual(decodeStatusEventLine(event.messageId, old), event);
});
