import { createHash } from 'node:crypto';
import { log } from '../log.js';
import type { ProviderReport } from './provider-connector.js';
import { ESM_CLASS_UDHI, findTlv, TLV_TAGS, type ShortMessagePdu } from './smpp-pdu.js';
import { isDeliveryReceipt, parseDeliveryReceipt } from './smpp-receipt.js';
import type { SmppReceiptTracker } from './smpp-receipt-tracker.js';
import { readConcatenation } from './smpp-segments.js';
import { decodeText } from './smpp-text.js';

/**
 * The report a deliver_sm carries: a delivery report keyed back to our message id (through the
 * tracker) for a receipt, an inbound message otherwise; null when there is nothing to record (an
 * intermediate receipt, one segment of several delivered, or a receipt that cannot be read).
 */
export function toProviderReport(pdu: ShortMessagePdu, tracker: SmppReceiptTracker, providerId: string): ProviderReport | null {
  if (isDeliveryReceipt(pdu.esmClass)) {
    const receipt = parseDeliveryReceipt(pdu);
    if (receipt === null) {
      log('warn', 'smpp receipt without id or known stat ignored', { provider: providerId });
      return null;
    }
    const verdict = tracker.onReceipt(receipt);
    if (verdict.kind === 'ignore' || receipt.state === null) return null;
    return {
      reportId: `dlr:${receipt.providerRef}:${receipt.stat}`,
      delivery: {
        messageId: verdict.messageId,
        providerRef: receipt.providerRef,
        state: receipt.state,
        code: receipt.stat,
        description: receipt.error === '' ? `stat:${receipt.stat}` : `stat:${receipt.stat} err:${receipt.error}`,
        doneAtMs: 0,
      },
      inbound: null,
    };
  }
  const payload = findTlv(pdu.tlvs, TLV_TAGS.message_payload) ?? pdu.shortMessage;
  const text = (pdu.esmClass & ESM_CLASS_UDHI) !== 0 ? (readConcatenation(payload)?.payload ?? payload) : payload;
  // An SMSC resends an unanswered deliver_sm with a new sequence number: the id comes from the content.
  const reportId = `mo:${createHash('sha256').update(pdu.sourceAddr).update('\0').update(pdu.destinationAddr).update('\0').update(payload).digest('base64url').slice(0, 22)}`;
  return {
    reportId,
    delivery: null,
    inbound: {
      channel: 'sms',
      from: pdu.sourceAddrTon === 1 ? `+${pdu.sourceAddr}` : pdu.sourceAddr,
      to: pdu.destinationAddr,
      body: decodeText(text, pdu.dataCoding),
      inReplyToMessageId: '',
      receivedAtMs: Date.now(),
    },
  };
}
