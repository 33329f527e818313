import { BinaryReader } from '@bufbuild/protobuf/wire';
import { MessageGatewayService, SendBatch, SendRequest } from '../gen/switchboard/v1/gateway.js';

/**
 * The generated decoders' reader, with each string read by one native call on the Buffer that
 * grpc-js hands over. @bufbuild's reader builds strings of up to 32 ASCII bytes (numbers, ids,
 * template variables: most strings of a message) from an array of their char codes: as fast, but
 * ~5x the garbage, 0.7 KB per message of a bulk frame. The text is the same: invalid UTF-8 becomes
 * U+FFFD and a leading U+FEFF stays text; strict reads (never made by the generated code) are
 * left to @bufbuild.
 */
export class BufferStringReader extends BinaryReader {
  constructor(private readonly source: Buffer) {
    super(source);
  }

  override string(strict?: boolean): string {
    if (strict === true) return super.string(true);
    const len = this.uint32();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.len) throw new RangeError('premature EOF');
    return this.source.toString('utf8', start, this.pos);
  }
}

/** MessageGatewayService with the two calls that carry messages decoded through BufferStringReader. */
export const MESSAGE_GATEWAY_SERVICE = {
  ...MessageGatewayService,
  send: { ...MessageGatewayService.send, requestDeserialize: (value: Buffer): SendRequest => SendRequest.decode(new BufferStringReader(value)) },
  sendStream: { ...MessageGatewayService.sendStream, requestDeserialize: (value: Buffer): SendBatch => SendBatch.decode(new BufferStringReader(value)) },
} as const satisfies typeof MessageGatewayService;
