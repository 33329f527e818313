import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toProviderReport } from '../../../src/channels/smpp-deliver-sm-report.js';
import type { ShortMessagePdu } from '../../../src/channels/smpp-pdu.js';
import { SmppReceiptTracker } from '../../../src/channels/smpp-receipt-tracker.js';
import { encodeText } from '../../../src/channels/smpp-text.js';

function deliverSm(fields: Partial<ShortMessagePdu>): ShortMessagePdu {
  return {
    command: 'deliver_sm',
    commandStatus: 0,
    sequenceNumber: 1,
    serviceType: '',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    sourceAddr: '821012345678',
    destAddrTon: 0,
    destAddrNpi: 1,
    destinationAddr: '15880000',
    esmClass: 0,
    protocolId: 0,
    priorityFlag: 0,
    scheduleDeliveryTime: '',
    validityPeriod: '',
    registeredDelivery: 0,
    replaceIfPresentFlag: 0,
    dataCoding: 8,
    smDefaultMsgId: 0,
    shortMessage: Buffer.alloc(0),
    tlvs: [],
    ...fields,
  } as ShortMessagePdu;
}

test('a deliver_sm without the receipt bit is an inbound message, decoded by its data coding', () => {
  const report = toProviderReport(deliverSm({ shortMessage: encodeText('네 확인했습니다', 'ucs2') }), new SmppReceiptTracker(10), 'kt');
  assert.equal(report?.delivery, null);
  assert.deepEqual({ ...report?.inbound, receivedAtMs: 0 }, { channel: 'sms', from: '+821012345678', to: '15880000', body: '네 확인했습니다', inReplyToMessageId: '', receivedAtMs: 0 });
});

test('an inbound message with a UDH has the UDH removed; a resent one keeps its report id', () => {
  const udh = Buffer.from([0x05, 0x00, 0x03, 0x07, 0x01, 0x01]);
  const pdu = deliverSm({ esmClass: 0x40, dataCoding: 0x0e, shortMessage: Buffer.concat([udh, encodeText('안녕', 'ksc5601')]) });
  const first = toProviderReport(pdu, new SmppReceiptTracker(10), 'kt');
  const resent = toProviderReport({ ...pdu, sequenceNumber: 99 }, new SmppReceiptTracker(10), 'kt');
  assert.equal(first?.inbound?.body, '안녕');
  assert.equal(first?.reportId, resent?.reportId);
  assert.match(first?.reportId ?? '', /^mo:/);
});

test('a receipt becomes a delivery report for the tracked message; an intermediate one is nothing to record', () => {
  const tracker = new SmppReceiptTracker(10);
  tracker.addSegment(tracker.startMessage('m-1', 1), 'abc');
  const receipt = (stat: string) => deliverSm({ esmClass: 0x04, dataCoding: 0, shortMessage: Buffer.from(`id:abc sub:001 dlvrd:001 submit date:2611261015 done date:2611261016 stat:${stat} err:000 text:`, 'latin1') });
  assert.equal(toProviderReport(receipt('ENROUTE'), tracker, 'kt'), null);
  assert.deepEqual(toProviderReport(receipt('DELIVRD'), tracker, 'kt'), {
    reportId: 'dlr:abc:DELIVRD',
    delivery: { messageId: 'm-1', providerRef: 'abc', state: 'delivered', code: 'DELIVRD', description: 'stat:DELIVRD err:000', doneAtMs: 0 },
    inbound: null,
  });
});
