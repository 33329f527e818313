import type { MessageState } from '../domain/message-state.js';
import type { HistoryShapes } from './history-shapes.js';
import { acceptedAtMsOfHistory } from './status-history.js';

/** A message's status record in the memory store while it is on its way; the message id is its key. */
export class StatusEntry {
  constructor(
    readonly tenant: string,
    readonly clientRef: string,
    readonly tags: readonly string[],
    public state: MessageState,
    /** The events, encoded (see status-history.ts). */
    public history: string,
  ) {}
}

/**
 * A status record as the memory store keeps it: a StatusEntry until the message is final, then
 * packed into one string for the rest of its retention (only a late report changes it then, and
 * unpacks it). The store keeps up to maxStatusRecords (2,000,000 by default) records, most of them
 * final, so a packed record keeps only what is the message's own, and names the rest by a shared
 * shape (see HistoryShapes):
 *
 *   shaped: <shape id> \t <first time> \t <each later time minus the first>... \n <providerRef>\t... \n <clientRef>
 *   whole:  JSON [state, tenant, clientRef, tags] \n history
 *
 * The shape's text is JSON [state, tenant, tags] \n the history with every time and providerRef
 * field emptied. The times and references are the history lines' own fields (providerRef
 * escaped, so it holds no tab or newline); the clientRef comes last, so it may hold anything.
 * A record is packed whole when the shape table is full, or when a time is not a safe integer.
 * JSON keeps a header on one line (it escapes newlines and tabs).
 */
export type StoredStatus = StatusEntry | string;

/** The final entry as one string, using (and counting) a shape when it can. */
export function packStatus(entry: StatusEntry, shapes: HistoryShapes): string {
  const history = entry.history;
  const shape: string[] = [JSON.stringify([entry.state, entry.tenant, entry.tags])];
  const times: string[] = [];
  const refs: string[] = [];
  let firstMs = 0;
  // Each line: state \t atMs \t channel \t providerId \t providerRef \t ... (status-event-line.ts).
  // Sliced by position rather than split: this runs once per message.
  for (let start = 0; start <= history.length; ) {
    let end = history.indexOf('\n', start);
    if (end < 0) end = history.length;
    const atMsAt = history.indexOf('\t', start) + 1;
    const channelAt = history.indexOf('\t', atMsAt) + 1;
    const providerRefAt = history.indexOf('\t', history.indexOf('\t', channelAt) + 1) + 1;
    const codeAt = history.indexOf('\t', providerRefAt) + 1;
    const atMs = Number(history.slice(atMsAt, channelAt - 1));
    if (times.length === 0) firstMs = atMs;
    const sinceFirst = atMs - firstMs;
    if (!Number.isSafeInteger(atMs) || !Number.isSafeInteger(sinceFirst)) return packWhole(entry);
    times.push(String(times.length === 0 ? atMs : sinceFirst));
    refs.push(history.slice(providerRefAt, codeAt - 1));
    shape.push('\n', history.slice(start, atMsAt), history.slice(channelAt - 1, providerRefAt), history.slice(codeAt - 1, end));
    start = end + 1;
  }
  const id = shapes.use(shape.join(''));
  if (id < 0) return packWhole(entry);
  // join makes one flat string of the pieces.
  return [`${id}\t${times.join('\t')}`, refs.join('\t'), entry.clientRef].join('\n');
}

/** The entry of a packed record; the record keeps its shape (see releaseStatus). */
export function unpackStatus(packed: string, shapes: HistoryShapes): StatusEntry {
  if (isWhole(packed)) {
    const split = packed.indexOf('\n');
    const [state, tenant, clientRef, tags] = JSON.parse(packed.slice(0, split)) as [MessageState, string, string, string[]];
    return new StatusEntry(tenant, clientRef, tags, state, packed.slice(split + 1));
  }
  const timesEnd = packed.indexOf('\n');
  const refsEnd = packed.indexOf('\n', timesEnd + 1);
  const times = packed.slice(0, timesEnd).split('\t');
  const refs = packed.slice(timesEnd + 1, refsEnd).split('\t');
  const shapeLines = shapes.text(Number(times[0])).split('\n');
  const [state, tenant, tags] = JSON.parse(shapeLines[0]!) as [MessageState, string, string[]];
  const firstMs = Number(times[1]);
  const lines: string[] = [];
  for (let i = 1; i < shapeLines.length; i++) {
    const f = shapeLines[i]!.split('\t');
    f[1] = i === 1 ? String(firstMs) : String(firstMs + Number(times[i]));
    f[4] = refs[i - 1]!;
    lines.push(f.join('\t'));
  }
  return new StatusEntry(tenant, packed.slice(refsEnd + 1), tags, state, lines.join('\n'));
}

/** Call when a packed record is dropped or replaced: its shape has one user fewer. */
export function releaseStatus(packed: string, shapes: HistoryShapes): void {
  if (!isWhole(packed)) shapes.release(Number(packed.slice(0, packed.indexOf('\t'))));
}

export function tenantOfStatus(status: StoredStatus, shapes: HistoryShapes): string {
  return typeof status === 'string' ? unpackStatus(status, shapes).tenant : status.tenant;
}

export function acceptedAtMsOfStatus(status: StoredStatus): number {
  if (typeof status !== 'string') return acceptedAtMsOfHistory(status.history);
  // The whole form's header holds no tab, so its first tab-separated time is the history's; the shaped form's first time follows the id.
  if (isWhole(status)) return acceptedAtMsOfHistory(status);
  const start = status.indexOf('\t') + 1;
  const tab = status.indexOf('\t', start);
  const newline = status.indexOf('\n', start);
  return Number(status.slice(start, tab >= 0 && tab < newline ? tab : newline));
}

function packWhole(entry: StatusEntry): string {
  return [JSON.stringify([entry.state, entry.tenant, entry.clientRef, entry.tags]), entry.history].join('\n');
}

function isWhole(packed: string): boolean {
  return packed.startsWith('[');
}
