import type { DeliveryState } from './provider-connector.js';
import { ESM_CLASS_DELIVERY_RECEIPT, findTlv, TLV_TAGS, type ShortMessageFields } from './smpp-pdu.js';

/** A delivery receipt read from a deliver_sm. */
export interface DeliveryReceipt {
  /** The SMSC's message_id from submit_sm_resp. */
  readonly providerRef: string;
  /** null for an intermediate state (ENROUTE, ACCEPTD): nothing final to record. */
  readonly state: DeliveryState | null;
  /** The stat word, e.g. "DELIVRD", "UNDELIV". */
  readonly stat: string;
  /** The err field or network_error_code, '' when absent. */
  readonly error: string;
}

/** stat words of the receipt text (SMPP 3.4 appendix B), and message_state TLV values (5.2.28) by the same names. */
const STATES: Record<string, DeliveryState | null> = {
  DELIVRD: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'failed',
  UNDELIV: 'failed',
  REJECTD: 'failed',
  UNKNOWN: 'failed',
  ACCEPTD: null,
  ENROUTE: null,
};
const MESSAGE_STATE_NAMES = ['', 'ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'];

/** Whether esm_class marks a deliver_sm as a delivery receipt rather than a mobile-originated message. */
export function isDeliveryReceipt(esmClass: number): boolean {
  return (esmClass & ESM_CLASS_DELIVERY_RECEIPT) !== 0;
}

/**
 * Reads a receipt from a deliver_sm: the receipted_message_id and message_state TLVs when the
 * SMSC sends them (they are exact), otherwise the "id:... stat:... err:..." text of appendix B.
 * Returns null when neither gives an id and a state.
 */
export function parseDeliveryReceipt(pdu: ShortMessageFields): DeliveryReceipt | null {
  const text = pdu.shortMessage.toString('latin1');
  const tlvId = findTlv(pdu.tlvs, TLV_TAGS.receipted_message_id);
  const tlvState = findTlv(pdu.tlvs, TLV_TAGS.message_state);
  const tlvError = findTlv(pdu.tlvs, TLV_TAGS.network_error_code);

  const providerRef = tlvId !== undefined ? tlvId.toString('latin1').replace(/\0+$/, '') : (/\bid:(\S+)/i.exec(text)?.[1] ?? '');
  const stat = tlvState !== undefined && tlvState.length === 1 ? (MESSAGE_STATE_NAMES[tlvState[0] as number] ?? '') : (/\bstat:(\w+)/i.exec(text)?.[1]?.toUpperCase() ?? '');
  const error = /\berr:(\w+)/i.exec(text)?.[1] ?? (tlvError !== undefined && tlvError.length === 3 ? `${tlvError[0]}:${tlvError.readUInt16BE(1)}` : '');
  if (providerRef === '' || !(stat in STATES)) return null;
  return { providerRef, state: STATES[stat] ?? null, stat, error };
}
