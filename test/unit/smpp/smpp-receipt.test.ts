import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCommandStatus } from '../../../src/channels/smpp-command-status.js';
import { TLV_TAGS, type ShortMessageFields } from '../../../src/channels/smpp-pdu.js';
import { isDeliveryReceipt, parseDeliveryReceipt } from '../../../src/channels/smpp-receipt.js';
import { SmppReceiptTracker } from '../../../src/channels/smpp-receipt-tracker.js';

function deliverSm(text: string, tlvs: ShortMessageFields['tlvs'] = []): ShortMessageFields {
  return {
    serviceType: '',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    sourceAddr: '821012345678',
    destAddrTon: 0,
    destAddrNpi: 1,
    destinationAddr: '15880000',
    esmClass: 0x04,
    protocolId: 0,
    priorityFlag: 0,
    scheduleDeliveryTime: '',
    validityPeriod: '',
    registeredDelivery: 0,
    replaceIfPresentFlag: 0,
    dataCoding: 0,
    smDefaultMsgId: 0,
    shortMessage: Buffer.from(text, 'latin1'),
    tlvs,
  };
}

test('the esm_class receipt bit tells receipts from mobile-originated messages', () => {
  assert.equal(isDeliveryReceipt(0x04), true);
  assert.equal(isDeliveryReceipt(0x44), true);
  assert.equal(isDeliveryReceipt(0x00), false);
  assert.equal(isDeliveryReceipt(0x40), false);
});

test('the appendix B receipt text gives id, state and error', () => {
  const text = 'id:7A3F0012 sub:001 dlvrd:000 submit date:2611261015 done date:2611261016 stat:UNDELIV err:034 text:hello';
  assert.deepEqual(parseDeliveryReceipt(deliverSm(text)), { providerRef: '7A3F0012', state: 'failed', stat: 'UNDELIV', error: '034' });
  assert.deepEqual(parseDeliveryReceipt(deliverSm('id:1 stat:DELIVRD')), { providerRef: '1', state: 'delivered', stat: 'DELIVRD', error: '' });
  assert.deepEqual(parseDeliveryReceipt(deliverSm('id:2 stat:EXPIRED err:000')), { providerRef: '2', state: 'expired', stat: 'EXPIRED', error: '000' });
});

test('receipted_message_id and message_state TLVs win over the text', () => {
  const pdu = deliverSm('id:wrong stat:UNDELIV', [
    { tag: TLV_TAGS.receipted_message_id, value: Buffer.from('abc123\0', 'latin1') },
    { tag: TLV_TAGS.message_state, value: Buffer.from([2]) },
  ]);
  assert.deepEqual(parseDeliveryReceipt(pdu), { providerRef: 'abc123', state: 'delivered', stat: 'DELIVRD', error: '' });
});

test('intermediate states (ENROUTE, ACCEPTD) have no final state', () => {
  assert.equal(parseDeliveryReceipt(deliverSm('id:9 stat:ENROUTE'))?.state, null);
  assert.equal(parseDeliveryReceipt(deliverSm('id:9 stat:ACCEPTD'))?.state, null);
});

test('a receipt without id or with an unknown stat is not a receipt', () => {
  assert.equal(parseDeliveryReceipt(deliverSm('stat:DELIVRD')), null);
  assert.equal(parseDeliveryReceipt(deliverSm('id:5 stat:HAPPY')), null);
});

test('the tracker maps SMSC ids back to message ids; a message of several segments is delivered once all are', () => {
  const tracker = new SmppReceiptTracker(100);
  const long = tracker.startMessage('m-long', 3);
  for (const ref of ['a', 'b', 'c']) tracker.addSegment(long, ref);
  const short = tracker.startMessage('m-short', 1);
  tracker.addSegment(short, 'd');
  const delivered = (ref: string) => ({ providerRef: ref, state: 'delivered' as const, stat: 'DELIVRD', error: '' });
  assert.deepEqual(tracker.onReceipt(delivered('a')), { kind: 'ignore' });
  assert.deepEqual(tracker.onReceipt(delivered('a')), { kind: 'ignore' }, 'a resent receipt is not counted twice');
  assert.deepEqual(tracker.onReceipt(delivered('c')), { kind: 'ignore' });
  assert.deepEqual(tracker.onReceipt(delivered('b')), { kind: 'report', messageId: 'm-long' });
  assert.deepEqual(tracker.onReceipt(delivered('d')), { kind: 'report', messageId: 'm-short' });
  assert.deepEqual(tracker.onReceipt(delivered('d')), { kind: 'report', messageId: 'm-short' }, 'a resent final receipt maps to its message again');
  assert.deepEqual(tracker.onReceipt(delivered('zzz')), { kind: 'report', messageId: '' }, 'an unknown id is reported for quarantine');
});

test('the tracker reports a multi-segment message failed at its first failed segment', () => {
  const tracker = new SmppReceiptTracker(100);
  const message = tracker.startMessage('m', 2);
  tracker.addSegment(message, 'a');
  tracker.addSegment(message, 'b');
  assert.deepEqual(tracker.onReceipt({ providerRef: 'b', state: 'failed', stat: 'UNDELIV', error: '001' }), { kind: 'report', messageId: 'm' });
  assert.deepEqual(tracker.onReceipt({ providerRef: 'a', state: 'delivered', stat: 'DELIVRD', error: '' }), { kind: 'ignore' });
});

test('the tracker is bounded: past its capacity the oldest ids are forgotten', () => {
  const tracker = new SmppReceiptTracker(2);
  for (const ref of ['1', '2', '3']) tracker.addSegment(tracker.startMessage(`m${ref}`, 1), ref);
  assert.equal(tracker.size, 2);
  assert.deepEqual(tracker.onReceipt({ providerRef: '1', state: 'delivered', stat: 'DELIVRD', error: '' }), { kind: 'report', messageId: '' });
  assert.deepEqual(tracker.onReceipt({ providerRef: '3', state: 'delivered', stat: 'DELIVRD', error: '' }), { kind: 'report', messageId: 'm3' });
});

test('command_status: throttling and a full queue are retryable, a bad address is permanent', () => {
  assert.deepEqual(describeCommandStatus(0x58), { code: 'ESME_RTHROTTLED', retryable: true, description: 'throttled: the SMSC allows fewer messages per second' });
  assert.equal(describeCommandStatus(0x14).code, 'ESME_RMSGQFUL');
  assert.equal(describeCommandStatus(0x14).retryable, true);
  assert.deepEqual(describeCommandStatus(0x0b), { code: 'ESME_RINVDSTADR', retryable: false, description: 'invalid destination address' });
  assert.deepEqual(describeCommandStatus(0x401), { code: 'SMPP_STATUS_0x00000401', retryable: true, description: 'command_status 0x00000401 (not in SMPP 3.4; vendor-specific)' });
});
