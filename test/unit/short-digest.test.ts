import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { clientRefFingerprint } from '../../src/domain/client-ref-fingerprint.js';
import type { AcceptedMessage } from '../../src/domain/message.js';
import { shortDigest } from '../../src/domain/short-digest.js';
import { supplierIdempotencyKey } from '../../src/domain/supplier-idempotency-key.js';

test('shortDigest is the first 22 base64url characters of SHA-256 over the UTF-8 text', () => {
  for (const text of ['', 'ref-1', '[카드승인] 김철수님 12,000원 승인', 'x'.repeat(10_000)]) {
    assert.equal(shortDigest(text), createHash('sha256').update(text).digest('base64url').slice(0, 22));
  }
});

// Fingerprints are kept in the client_ref window (in Redis for up to its 24 h) and idempotency
// keys are compared across sites: a change to either answers a retry after an upgrade as a
// conflict, or hands a supplier a replay under a new key. These values must never change.
test('client_ref fingerprints and supplier idempotency keys keep their values', () => {
  const message: AcceptedMessage = {
    messageId: 'm1', tenant: 'bank', clientRef: 'ref-2026-0001', recipient: '+821012345678', sender: '15880000',
    templateId: 'alert', variables: { name: '김철수', amount: '12,000' }, body: '', subject: '', kind: 'informational',
    nightConsent: false, priority: 'normal', channel: null, acceptedAtMs: 0, expiresAtMs: 1, tags: [],
  };
  assert.equal(clientRefFingerprint(message), 'szKOXeNy_AbBPvVSs47HPf');
  assert.equal(supplierIdempotencyKey(message, 'sms'), '-7qmKN4-XC19koDnGna_ZH');
  assert.equal(supplierIdempotencyKey(message, 'lms'), 'uoD98YWpBEA_eAsddqvPv2');
});
