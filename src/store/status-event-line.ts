import { CHANNELS, type ChannelName } from '../domain/channel.js';
import type { MessageState } from '../domain/message-state.js';
import type { StatusEvent } from '../domain/status-event.js';

/**
 * How the Redis store writes a status event into a message's history and its tenant's report
 * stream: one line of tab-separated fields, without the message id (the key, or the report line,
 * carries it):
 *   state \t atMs \t channel \t providerId \t providerRef \t code \t billableUnits \t reason \t why
 * A third of the bytes of the JSON object it replaced, and Redis's cost per event follows the
 * bytes it copies (bench/README.md). Free-text fields are escaped so a line never holds a tab,
 * newline or U+001F (the scripts' separators). Lines written as JSON by earlier versions
 * (starting with "{") are still read.
 */

/** Every field of StatusEvent but the id, in line order; the check below fails the build when a field is added and not encoded. */
const LINE_FIELDS = ['state', 'atMs', 'channel', 'providerId', 'providerRef', 'code', 'billableUnits', 'reason', 'why'] as const;
type Unencoded = Exclude<keyof StatusEvent, (typeof LINE_FIELDS)[number] | 'messageId'>;
const everyFieldEncoded: [Unencoded] extends [never] ? true : Unencoded = true;
void everyFieldEncoded;

const SPECIAL = /[\\\t\n\r\x1f]/;
const SPECIAL_ALL = /[\\\t\n\r\x1f]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\x1f': '\\u' };
const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r', u: '\x1f' };

function escapeText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : text;
}

function unescapeText(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, c: string) => UNESCAPES[c] ?? c) : text;
}

/** The event as one history/report line (see the file comment). */
export function encodeStatusEventLine(event: StatusEvent): string {
  return (
    `${event.state}\t${event.atMs}\t${event.channel ?? ''}\t${escapeText(event.providerId)}\t${escapeText(event.providerRef)}\t` +
    `${escapeText(event.code)}\t${event.billableUnits}\t${escapeText(event.reason)}` +
    (event.why === undefined || event.why === '' ? '' : `\t${escapeText(event.why)}`)
  );
}

/** Reads a line written by encodeStatusEventLine (or an older JSON line) back into the event of `messageId`. */
export function decodeStatusEventLine(messageId: string, line: string): StatusEvent {
  if (line.startsWith('{')) return { ...(JSON.parse(line) as StatusEvent), messageId };
  const f = line.split('\t');
  const channel = f[2] ?? '';
  const why = f[8] === undefined ? undefined : unescapeText(f[8]);
  return {
    messageId,
    state: (f[0] ?? '') as MessageState,
    atMs: Number(f[1]),
    channel: (CHANNELS as readonly string[]).includes(channel) ? (channel as ChannelName) : null,
    providerId: unescapeText(f[3] ?? ''),
    providerRef: unescapeText(f[4] ?? ''),
    code: unescapeText(f[5] ?? ''),
    billableUnits: Number(f[6] ?? 0),
    reason: unescapeText(f[7] ?? ''),
    ...(why === undefined ? {} : { why }),
  };
}
