import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferStringReader, MESSAGE_GATEWAY_SERVICE } from '../../src/gateway/buffer-string-reader.js';
import { Message, MessageGatewayService, SendBatch, SendRequest } from '../../src/gen/switchboard/v1/gateway.js';

/** A message with every field at its default (what decoding no bytes gives), then `fields`. */
const message = (fields: Partial<Message>): Message => ({ ...Message.decode(new Uint8Array()), recipient: '01012345678', sender: '15880000', ...fields });

test('messages decode through BufferStringReader exactly as through the generated reader: ASCII, Korean, emoji, a leading U+FEFF, 32/33-byte edges', () => {
  const batch: SendBatch = {
    batchId: 7,
    messages: [
      message({ templateId: 'alert', variables: { name: '김철수', amount: '12,000' }, clientRef: 'ref-1:a.b_c' }),
      message({ content: { body: '[광고] 이번 주 혜택 🎉 안내', subject: '\uFEFF제목' }, tags: ['x'.repeat(32), 'y'.repeat(33), '', '\uFEFF'] }),
      message({ templateId: 'é', variables: { k: 'ü'.repeat(16), long: 'a'.repeat(500) } }),
    ],
  };
  const bytes = Buffer.from(SendBatch.encode(batch).finish());
  const stock = MessageGatewayService.sendStream.requestDeserialize(bytes);
  assert.deepEqual(MESSAGE_GATEWAY_SERVICE.sendStream.requestDeserialize(bytes), stock);
  assert.equal(stock.messages[1]?.content?.subject, '\uFEFF제목', 'a leading U+FEFF is text');

  const request: SendRequest = { message: batch.messages[0] };
  const requestBytes = Buffer.from(SendRequest.encode(request).finish());
  assert.deepEqual(MESSAGE_GATEWAY_SERVICE.send.requestDeserialize(requestBytes), MessageGatewayService.send.requestDeserialize(requestBytes));
});

test('invalid UTF-8 becomes U+FFFD as with the generated reader, and a truncated string is refused', () => {
  // Field 2 (recipient) of a Message, length 6: "01" + a lone continuation byte + a truncated 3-byte sequence + "9".
  const invalid = Buffer.from([0x12, 6, 0x30, 0x31, 0x80, 0xe2, 0x82, 0x39]);
  assert.deepEqual(Message.decode(new BufferStringReader(invalid)), Message.decode(invalid));
  assert.equal(Message.decode(new BufferStringReader(invalid)).recipient, '01\uFFFD\uFFFD9');

  const truncated = Buffer.from([0x12, 10, 0x30, 0x31]);
  assert.throws(() => Message.decode(new BufferStringReader(truncated)), /premature EOF/);
  assert.throws(() => Message.decode(truncated), /premature EOF/);
});
