import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AcceptedMessage } from '../../src/domain/message.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/store/queued-message-payload.js';

const message: AcceptedMessage = {
  messageId: 'ma5476fd0523d-94e.3',
  tenant: 'bank',
  clientRef: 'card-2026-0001',
  recipient: '+821012345678',
  sender: '15880000',
  templateId: 'card-approval',
  variables: { name: '김철수', amount: '12,500', note: 'tab\there "quoted"' },
  body: '',
  subject: '',
  kind: 'informational',
  nightConsent: false,
  priority: 'urgent',
  channel: null,
  acceptedAtMs: 1_795_000_000_000,
  expiresAtMs: 1_795_000_300_000,
  tags: ['card', 'approval'],
};

test('a queued message goes compact and comes back equal, with and without its fallback step and tried providers', () => {
  const payload = encodeQueuedMessage(message);
  assert.ok(!payload.startsWith('{') && payload.length < JSON.stringify(message).length);
  assert.deepEqual(decodeQueuedMessage(payload), message);

  const movedOn: AcceptedMessage = {
    ...message,
    body: '본문\n둘째 줄',
    subject: '제목',
    kind: 'advertising',
    nightConsent: true,
    channel: 'alimtalk',
    fallback: { channels: ['lms'], step: 1, fromChannel: 'alimtalk', reason: 'NO_KAKAOTALK', routeName: 'bank-kakao' },
  };
  assert.deepEqual(decodeQueuedMessage(encodeQueuedMessage(movedOn)), movedOn);
  const retried: AcceptedMessage = { ...message, triedProviders: { channel: 'sms', providers: ['kt', 'lg'] } };
  assert.deepEqual(decodeQueuedMessage(encodeQueuedMessage(retried)), retried);
});

test('a message whose text holds a separator is written as JSON, and JSON payloads of earlier versions are read', () => {
  for (const odd of [{ ...message, body: 'a\x1eb' }, { ...message, subject: 'a\x1fb' }]) {
    const payload = encodeQueuedMessage(odd);
    assert.ok(payload.startsWith('{'));
    assert.deepEqual(decodeQueuedMessage(payload), odd);
  }
  assert.deepEqual(decodeQueuedMessage(JSON.stringify(message)), message);
});

test('a message is stored under the id the store gives it, without being copied, in both forms', () => {
  const stored = { ...message, messageId: 'ma5476fd0523d-94e.1' };
  assert.deepEqual(decodeQueuedMessage(encodeQueuedMessage(message, 'ma5476fd0523d-94e.1')), stored);
  const odd = { ...message, clientRef: 'ref\x1f1' };
  const payload = encodeQueuedMessage(odd, 'ma5476fd0523d-94e.1');
  assert.ok(payload.startsWith('{'));
  assert.deepEqual(decodeQueuedMessage(payload), { ...odd, messageId: 'ma5476fd0523d-94e.1' });
  assert.equal(odd.messageId, message.messageId, 'the message given is left as it is');
});

test('every text written as it is is checked for separators; JSON parts escape them', () => {
  for (const field of ['tenant', 'clientRef', 'recipient', 'sender', 'templateId', 'body', 'subject'] as const) {
    for (const separator of ['\x1e', '\x1f']) {
      const odd = { ...message, [field]: `a${separator}b` };
      assert.ok(encodeQueuedMessage(odd).startsWith('{'), `${field} with U+00${separator.charCodeAt(0).toString(16)}`);
      assert.deepEqual(decodeQueuedMessage(encodeQueuedMessage(odd)), odd);
    }
  }
  const inJson = { ...message, variables: { name: 'a\x1eb\x1fc' }, tags: ['x\x1fy'] };
  const payload = encodeQueuedMessage(inJson);
  assert.ok(!payload.startsWith('{') && !payload.includes('\x1f'));
  assert.deepEqual(decodeQueuedMessage(payload), inJson);
});
