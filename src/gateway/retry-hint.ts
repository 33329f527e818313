import { Metadata, type status as Status } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** The trailer with the wait in milliseconds, for clients that read plain metadata. */
export const RETRY_AFTER_HEADER = 'retry-after-ms';
/** The standard rich-error trailer: a google.rpc.Status, here with one google.rpc.RetryInfo. */
export const STATUS_DETAILS_HEADER = 'grpc-status-details-bin';
const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The trailers that tell a client when to try again: `retry-after-ms`, and the same wait as
 * google.rpc.RetryInfo in grpc-status-details-bin, which gRPC's rich-error helpers read
 * (io.grpc.protobuf.StatusProto, Go's status.FromError(...).Details()).
 */
export function retryHint(code: Status, details: string, retryAfterMs: number): Metadata {
  const metadata = new Metadata();
  metadata.set(RETRY_AFTER_HEADER, String(retryAfterMs));
  metadata.set(STATUS_DETAILS_HEADER, Buffer.from(encodeStatusWithRetryInfo(code, details, retryAfterMs)));
  return metadata;
}

/** google.rpc.Status { code = 1; message = 2; details = 3 (Any { type_url = 1; value = 2 }) } holding RetryInfo { retry_delay = 1 (Duration { seconds = 1; nanos = 2 }) }. */
function encodeStatusWithRetryInfo(code: Status, details: string, retryAfterMs: number): Uint8Array {
  const duration = new BinaryWriter();
  const seconds = Math.floor(retryAfterMs / 1000);
  const nanos = (retryAfterMs % 1000) * 1_000_000;
  if (seconds !== 0) duration.uint32(8).int64(seconds);
  if (nanos !== 0) duration.uint32(16).int32(nanos);
  const retryInfo = new BinaryWriter().uint32(10).bytes(duration.finish()).finish();
  const any = new BinaryWriter().uint32(10).string(RETRY_INFO_TYPE_URL).uint32(18).bytes(retryInfo).finish();
  return new BinaryWriter().uint32(8).int32(code).uint32(18).string(details).uint32(26).bytes(any).finish();
}
