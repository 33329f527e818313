import { MAX_PDU_BYTES, SmppDecodeError } from './smpp-pdu.js';

/**
 * Cuts a TCP byte stream into whole PDUs by their command_length. Bytes of a PDU that has not
 * fully arrived are kept for the next chunk; at most one PDU (MAX_PDU_BYTES) is ever buffered.
 */
export class SmppPduFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk and returns the PDUs it completed. Throws SmppDecodeError on an impossible command_length. */
  push(chunk: Buffer): Buffer[] {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const pdus: Buffer[] = [];
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length < 16 || length > MAX_PDU_BYTES) throw new SmppDecodeError(`command_length ${length} is outside 16..${MAX_PDU_BYTES}`);
      if (buffer.length < length) break;
      pdus.push(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    // Copy the remainder so a large chunk is not kept alive by a few trailing bytes.
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
    return pdus;
  }
}
