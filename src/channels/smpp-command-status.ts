/** What an SMPP command_status means for the message it answers. */
export interface SmppStatusMeaning {
  /** The ESME_* name from SMPP 3.4 table 5-2, or SMPP_STATUS_0x... for a vendor-specific value. */
  readonly code: string;
  /** Whether another try (later, or at another supplier) can help. */
  readonly retryable: boolean;
  readonly description: string;
}

/**
 * The statuses carriers send in practice. Retryable: the SMSC is busy, throttling or in trouble;
 * permanent: the message or its addresses are wrong and would be refused anywhere.
 */
const KNOWN: Record<number, [string, boolean, string]> = {
  0x01: ['ESME_RINVMSGLEN', false, 'message length is invalid'],
  0x02: ['ESME_RINVCMDLEN', false, 'command length is invalid'],
  0x03: ['ESME_RINVCMDID', false, 'invalid command id'],
  0x04: ['ESME_RINVBNDSTS', true, 'incorrect bind status for the command'],
  0x05: ['ESME_RALYBND', true, 'already bound'],
  0x08: ['ESME_RSYSERR', true, 'system error at the SMSC'],
  0x0a: ['ESME_RINVSRCADR', false, 'invalid source address'],
  0x0b: ['ESME_RINVDSTADR', false, 'invalid destination address'],
  0x0c: ['ESME_RINVMSGID', false, 'invalid message id'],
  0x0d: ['ESME_RBINDFAIL', true, 'bind failed'],
  0x0e: ['ESME_RINVPASWD', false, 'invalid password'],
  0x0f: ['ESME_RINVSYSID', false, 'invalid system id'],
  0x14: ['ESME_RMSGQFUL', true, 'message queue full at the SMSC'],
  0x15: ['ESME_RINVSERTYP', false, 'invalid service type'],
  0x33: ['ESME_RINVNUMDESTS', false, 'invalid number of destinations'],
  0x45: ['ESME_RSUBMITFAIL', true, 'submit_sm failed at the SMSC'],
  0x48: ['ESME_RINVSRCTON', false, 'invalid source address TON'],
  0x49: ['ESME_RINVSRCNPI', false, 'invalid source address NPI'],
  0x50: ['ESME_RINVDSTTON', false, 'invalid destination address TON'],
  0x51: ['ESME_RINVDSTNPI', false, 'invalid destination address NPI'],
  0x58: ['ESME_RTHROTTLED', true, 'throttled: the SMSC allows fewer messages per second'],
  0x61: ['ESME_RINVSCHED', false, 'invalid scheduled delivery time'],
  0x62: ['ESME_RINVEXPIRY', false, 'invalid validity period'],
  0x64: ['ESME_RX_T_APPN', true, 'temporary error at the SMSC application'],
  0x65: ['ESME_RX_P_APPN', false, 'permanent error at the SMSC application'],
  0x66: ['ESME_RX_R_APPN', false, 'rejected by the SMSC application'],
  0x67: ['ESME_RQUERYFAIL', true, 'query failed'],
  0xc0: ['ESME_RINVOPTPARSTREAM', false, 'error in the optional parameters'],
  0xc1: ['ESME_ROPTPARNOTALLWD', false, 'optional parameter not allowed'],
  0xc2: ['ESME_RINVPARLEN', false, 'invalid parameter length'],
  0xc3: ['ESME_RMISSINGOPTPARAM', false, 'an expected optional parameter is missing'],
  0xc4: ['ESME_RINVOPTPARAMVAL', false, 'invalid optional parameter value'],
  0xfe: ['ESME_RDELIVERYFAILURE', true, 'delivery failure'],
  0xff: ['ESME_RUNKNOWNERR', true, 'unknown error'],
};

export const ESME_ROK = 0x00;
export const ESME_RINVCMDID = 0x03;
export const ESME_RINVBNDSTS = 0x04;
export const ESME_RINVDSTADR = 0x0b;
export const ESME_RINVPASWD = 0x0e;
export const ESME_RSYSERR = 0x08;
export const ESME_RTHROTTLED = 0x58;

/**
 * The meaning of a non-zero command_status. An unknown (vendor-specific) value counts as
 * retryable: a wrong guess costs one more try elsewhere, the other way round a lost message.
 */
export function describeCommandStatus(status: number): SmppStatusMeaning {
  const known = KNOWN[status];
  if (known !== undefined) return { code: known[0], retryable: known[1], description: known[2] };
  const hex = `0x${status.toString(16).padStart(8, '0')}`;
  return { code: `SMPP_STATUS_${hex}`, retryable: true, description: `command_status ${hex} (not in SMPP 3.4; vendor-specific)` };
}
