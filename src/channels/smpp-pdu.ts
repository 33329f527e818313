/**
 * The SMPP 3.4 PDUs the connector and the SMSC simulator speak, and their binary codec
 * (SMPP 3.4 section 4). Every PDU is a 16-byte header (command_length, command_id,
 * command_status, sequence_number, all big-endian) and a body of C-strings, single octets
 * and optional TLVs.
 */

export const COMMAND_IDS = {
  generic_nack: 0x80000000,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
} as const;

export type SmppCommand = keyof typeof COMMAND_IDS;

/** TLV tags used here (SMPP 3.4 section 5.3.2). */
export const TLV_TAGS = {
  receipted_message_id: 0x001e,
  message_state: 0x0427,
  network_error_code: 0x0423,
  message_payload: 0x0424,
} as const;

export const INTERFACE_VERSION_34 = 0x34;
/** esm_class bits (5.2.12): the message type "SMSC delivery receipt", and the UDH indicator. */
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
export const ESM_CLASS_UDHI = 0x40;
/** Longest PDU accepted from the wire; a larger command_length means a broken or hostile peer. */
export const MAX_PDU_BYTES = 64 * 1024;

export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

interface Header {
  readonly commandStatus: number;
  readonly sequenceNumber: number;
}

export interface BindFields {
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly interfaceVersion: number;
  readonly addrTon: number;
  readonly addrNpi: number;
  readonly addressRange: string;
}

/** The body of submit_sm and deliver_sm (4.4.1, 4.6.1): the same fields in the same order. */
export interface ShortMessageFields {
  readonly serviceType: string;
  readonly sourceAddrTon: number;
  readonly sourceAddrNpi: number;
  readonly sourceAddr: string;
  readonly destAddrTon: number;
  readonly destAddrNpi: number;
  readonly destinationAddr: string;
  readonly esmClass: number;
  readonly protocolId: number;
  readonly priorityFlag: number;
  readonly scheduleDeliveryTime: string;
  readonly validityPeriod: string;
  readonly registeredDelivery: number;
  readonly replaceIfPresentFlag: number;
  readonly dataCoding: number;
  readonly smDefaultMsgId: number;
  /** Up to 254 octets, the UDH included when esm_class has UDHI. */
  readonly shortMessage: Buffer;
  readonly tlvs: readonly Tlv[];
}

export type SmppPdu = Header &
  (
    | ({ readonly command: 'bind_transceiver' } & BindFields)
    | { readonly command: 'bind_transceiver_resp'; readonly systemId: string }
    | ({ readonly command: 'submit_sm' | 'deliver_sm' } & ShortMessageFields)
    | { readonly command: 'submit_sm_resp' | 'deliver_sm_resp'; readonly messageId: string }
    | { readonly command: 'generic_nack' | 'unbind' | 'unbind_resp' | 'enquire_link' | 'enquire_link_resp' }
    | { readonly command: 'unknown'; readonly commandId: number }
  );

/** A submit_sm or deliver_sm. */
export type ShortMessagePdu = Extract<SmppPdu, { command: 'submit_sm' | 'deliver_sm' }>;

/** A PDU whose body could not be read; the session answers it with generic_nack and drops the connection. */
export class SmppDecodeError extends Error {
  override readonly name = 'SmppDecodeError';
}

const COMMAND_BY_ID = new Map<number, SmppCommand>(Object.entries(COMMAND_IDS).map(([name, id]) => [id, name as SmppCommand]));

/** Whether a command is a response (bit 31 of command_id). */
export function isResponse(pdu: SmppPdu): boolean {
  return pdu.command === 'unknown' ? (pdu.commandId & 0x80000000) !== 0 : (COMMAND_IDS[pdu.command] & 0x80000000) !== 0;
}

/** Encodes one PDU, header included. */
export function encodePdu(pdu: SmppPdu): Buffer {
  const body = new BodyWriter();
  switch (pdu.command) {
    case 'bind_transceiver':
      body.cString(pdu.systemId, 16).cString(pdu.password, 9).cString(pdu.systemType, 13);
      body.octet(pdu.interfaceVersion).octet(pdu.addrTon).octet(pdu.addrNpi).cString(pdu.addressRange, 41);
      break;
    case 'bind_transceiver_resp':
      body.cString(pdu.systemId, 16);
      break;
    case 'submit_sm':
    case 'deliver_sm':
      writeShortMessage(body, pdu);
      break;
    case 'submit_sm_resp':
    case 'deliver_sm_resp':
      body.cString(pdu.messageId, 65);
      break;
    case 'unknown':
      throw new Error(`cannot encode unknown command 0x${pdu.commandId.toString(16)}`);
    default:
      break;
  }
  const bodyBytes = body.toBuffer();
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + bodyBytes.length, 0);
  header.writeUInt32BE(COMMAND_IDS[pdu.command], 4);
  header.writeUInt32BE(pdu.commandStatus >>> 0, 8);
  header.writeUInt32BE(pdu.sequenceNumber >>> 0, 12);
  return Buffer.concat([header, bodyBytes]);
}

/** Decodes one complete PDU (as framed by SmppPduFramer). Throws SmppDecodeError on a malformed body. */
export function decodePdu(bytes: Buffer): SmppPdu {
  if (bytes.length < 16) throw new SmppDecodeError(`a PDU is at least 16 bytes, got ${bytes.length}`);
  const commandId = bytes.readUInt32BE(4);
  const header = { commandStatus: bytes.readUInt32BE(8), sequenceNumber: bytes.readUInt32BE(12) };
  const command = COMMAND_BY_ID.get(commandId);
  const body = new BodyReader(bytes.subarray(16, bytes.readUInt32BE(0)));
  // A failed response may come without its body (5.1.3 of the 3.4 errata: SMSCs often do this).
  const bodyless = header.commandStatus !== 0 && body.remaining() === 0;
  switch (command) {
    case undefined:
      return { ...header, command: 'unknown', commandId };
    case 'bind_transceiver':
      return {
        ...header,
        command,
        systemId: body.cString(16),
        password: body.cString(9),
        systemType: body.cString(13),
        interfaceVersion: body.octet(),
        addrTon: body.octet(),
        addrNpi: body.octet(),
        addressRange: body.cString(41),
      };
    case 'bind_transceiver_resp':
      return { ...header, command, systemId: bodyless ? '' : body.cString(16) };
    case 'submit_sm':
    case 'deliver_sm':
      return { ...header, command, ...readShortMessage(body) };
    case 'submit_sm_resp':
    case 'deliver_sm_resp':
      return { ...header, command, messageId: bodyless || body.remaining() === 0 ? '' : body.cString(65) };
    default:
      return { ...header, command };
  }
}

/** The value of a TLV, or undefined when the PDU does not carry it. */
export function findTlv(tlvs: readonly Tlv[], tag: number): Buffer | undefined {
  return tlvs.find((t) => t.tag === tag)?.value;
}

function writeShortMessage(body: BodyWriter, m: ShortMessageFields): void {
  if (m.shortMessage.length > 254) throw new Error(`short_message is at most 254 octets, got ${m.shortMessage.length}`);
  body.cString(m.serviceType, 6).octet(m.sourceAddrTon).octet(m.sourceAddrNpi).cString(m.sourceAddr, 21);
  body.octet(m.destAddrTon).octet(m.destAddrNpi).cString(m.destinationAddr, 21);
  body.octet(m.esmClass).octet(m.protocolId).octet(m.priorityFlag);
  body.cString(m.scheduleDeliveryTime, 17).cString(m.validityPeriod, 17);
  body.octet(m.registeredDelivery).octet(m.replaceIfPresentFlag).octet(m.dataCoding).octet(m.smDefaultMsgId);
  body.octet(m.shortMessage.length).bytes(m.shortMessage);
  for (const tlv of m.tlvs) body.tlv(tlv);
}

function readShortMessage(body: BodyReader): ShortMessageFields {
  const fields = {
    serviceType: body.cString(6),
    sourceAddrTon: body.octet(),
    sourceAddrNpi: body.octet(),
    sourceAddr: body.cString(21),
    destAddrTon: body.octet(),
    destAddrNpi: body.octet(),
    destinationAddr: body.cString(21),
    esmClass: body.octet(),
    protocolId: body.octet(),
    priorityFlag: body.octet(),
    scheduleDeliveryTime: body.cString(17),
    validityPeriod: body.cString(17),
    registeredDelivery: body.octet(),
    replaceIfPresentFlag: body.octet(),
    dataCoding: body.octet(),
    smDefaultMsgId: body.octet(),
  };
  const shortMessage = body.bytes(body.octet());
  const tlvs: Tlv[] = [];
  while (body.remaining() > 0) tlvs.push(body.tlv());
  return { ...fields, shortMessage, tlvs };
}

class BodyWriter {
  private readonly parts: Buffer[] = [];

  /** A NUL-terminated ASCII string of at most `maxBytes` bytes, the NUL included. */
  cString(value: string, maxBytes: number): this {
    const bytes = Buffer.from(value, 'latin1');
    if (bytes.length >= maxBytes) throw new Error(`"${value}" is longer than ${maxBytes - 1} characters`);
    this.parts.push(bytes, Buffer.alloc(1));
    return this;
  }

  octet(value: number): this {
    this.parts.push(Buffer.from([value & 0xff]));
    return this;
  }

  bytes(value: Buffer): this {
    this.parts.push(value);
    return this;
  }

  tlv(tlv: Tlv): this {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(tlv.tag, 0);
    head.writeUInt16BE(tlv.value.length, 2);
    this.parts.push(head, tlv.value);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class BodyReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  remaining(): number {
    return this.buffer.length - this.offset;
  }

  cString(maxBytes: number): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end === -1 || end - this.offset >= maxBytes) throw new SmppDecodeError(`a C-string of at most ${maxBytes - 1} characters is missing its NUL at byte ${16 + this.offset}`);
    const value = this.buffer.toString('latin1', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  octet(): number {
    if (this.remaining() < 1) throw new SmppDecodeError(`the body ends early at byte ${16 + this.offset}`);
    return this.buffer[this.offset++] as number;
  }

  bytes(length: number): Buffer {
    if (this.remaining() < length) throw new SmppDecodeError(`${length} octets announced at byte ${16 + this.offset}, ${this.remaining()} left`);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  tlv(): Tlv {
    if (this.remaining() < 4) throw new SmppDecodeError(`a TLV header is cut short at byte ${16 + this.offset}`);
    const tag = this.buffer.readUInt16BE(this.offset);
    const length = this.buffer.readUInt16BE(this.offset + 2);
    this.offset += 4;
    return { tag, value: this.bytes(length) };
  }
}
