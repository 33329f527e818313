// The Submit and Reports streams use hand-written codecs (src/channels/submit-frame-codec.ts,
// report-frame-codec.ts) that repeat provider.proto's field numbers. This test pins the fields those
// codecs handle to the proto, so a field added to (or renumbered in) provider.proto fails here with
// a pointer to the codecs instead of being silently dropped on the hot path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const PROTO = new URL('../../../proto/switchboard/provider/v1/provider.proto', import.meta.url);

/** What each message's fields were when the codecs were written: "name = number". */
const HANDLED: Readonly<Record<string, readonly string[]>> = {
  SubmitRequest: ['messages = 1'],
  ProviderMessage: ['message_id = 1', 'channel = 2', 'recipient = 3', 'sender = 4', 'subject = 5', 'body = 6', 'attributes = 7', 'expires_at_ms = 8', 'idempotency_key = 9'],
  SubmitResponse: ['results = 1'],
  SubmitResult: ['message_id = 1', 'accepted = 2', 'rejected = 3'],
  Accepted: ['provider_ref = 1'],
  Rejected: ['code = 1', 'reason = 2', 'retryable = 3'],
  ReportBatch: ['reports = 1'],
  ProviderReport: ['report_id = 1', 'delivery = 2', 'inbound = 3'],
  DeliveryReport: ['message_id = 1', 'provider_ref = 2', 'state = 3', 'code = 4', 'description = 5', 'done_at_ms = 6'],
  InboundMessage: ['channel = 1', 'from = 2', 'to = 3', 'body = 4', 'in_reply_to_message_id = 5', 'received_at_ms = 6'],
  ReportAck: ['report_ids = 1'],
};

/** Each top-level message's fields (oneof members included), from the proto text. */
function protoFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let current: string[] | undefined;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const opened = /^message (\w+) \{/.exec(line);
    if (depth === 0 && opened !== null) {
      fields.set(opened[1] as string, (current = []));
    } else if (current !== undefined) {
      const field = /^(?:repeated |optional )?(?:map<[^>]+>|[\w.]+) (\w+) = (\d+)/.exec(line);
      if (field !== null) current.push(`${field[1]} = ${field[2]}`);
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth === 0) current = undefined;
  }
  return fields;
}

test('the hand-written Submit and Reports codecs handle exactly the fields provider.proto has', () => {
  const fields = protoFields(readFileSync(PROTO, 'utf8'));
  for (const [message, handled] of Object.entries(HANDLED)) {
    assert.deepEqual(
      fields.get(message),
      handled,
      `provider.proto's ${message} changed: update src/channels/submit-frame-codec.ts, report-frame-codec.ts or provider-sdk-codec.ts (and their tests), then this list`,
    );
  }
});
