import { isFinalState, type MessageState } from '../domain/message-state.js';
import { acceptedEvent, type StatusEvent } from '../domain/status-event.js';
import type { HistoryShapes } from './history-shapes.js';
import { acceptedAtMsOfHistory, decodeHistory, encodeHistory } from './status-history.js';

/**
 * A message's status record in the memory store while it is on its way (the message id is its
 * key): the events as recorded, not copied; ACCEPTED is implied by acceptedAtMs.
 */
export class StatusEntry {
  constructor(
    readonly tenant: string,
    readonly clientRef: string,
    readonly tags: readonly string[],
    public state: MessageState,
    readonly acceptedAtMs: number,
    /** The events after ACCEPTED, in history order (see MessageStore.recordEvents); null for none. */
    public events: StatusEvent[] | null,
  ) {}
}

/**
 * A status record as the memory store keeps it: a StatusEntry until the message is final, then
 * packed into one string for the rest of its retention (only a late report changes it then, and
 * unpacks it). The store keeps up to maxStatusRecords (1,000,000 by default) records, most of them
 * final, so a packed record keeps only what is the message's own and names the rest by a shared
 * shape (see HistoryShapes):
 *
 *   shaped: <shape id> \t <acceptedAtMs> \t <each event's atMs - acceptedAtMs>... \n <each event's providerRef, \t-separated> \n <clientRef>
 *   whole:  JSON [state, tenant, clientRef, tags] \n <the history in status-event-line lines>
 *
 * The clientRef comes last, so it may hold anything. A record is packed whole when the shape table
 * is full, a time is no safe integer, or a providerRef holds a tab or newline. JSON keeps the
 * header on one line (it escapes newlines and tabs), and the lines escape theirs.
 */
export type StoredStatus = StatusEntry | string;

/** The final entry as one string, using (and counting) a shape when it can. */
export function packStatus(entry: StatusEntry, shapes: HistoryShapes): string {
  const events = entry.events ?? [];
  const firstMs = entry.acceptedAtMs;
  let times = String(firstMs);
  let refs = '';
  let shapeable = Number.isSafeInteger(firstMs);
  for (let i = 0; i < events.length && shapeable; i++) {
    const { atMs, providerRef } = events[i]!;
    shapeable = Number.isSafeInteger(atMs) && Number.isSafeInteger(atMs - firstMs) && !providerRef.includes('\t') && !providerRef.includes('\n');
    times += `\t${atMs - firstMs}`;
    refs += i === 0 ? providerRef : `\t${providerRef}`;
  }
  const id = shapeable ? shapes.use({ state: entry.state, tenant: entry.tenant, tags: entry.tags, events }) : -1;
  if (id < 0) return [JSON.stringify([entry.state, entry.tenant, entry.clientRef, entry.tags]), encodeHistory(historyOf('', entry))].join('\n');
  // join makes one flat string of the pieces.
  return [`${id}\t${times}`, refs, entry.clientRef].join('\n');
}

/** The entry of message `messageId`'s packed record; the record keeps its shape (see releaseStatus). */
export function unpackStatus(messageId: string, packed: string, shapes: HistoryShapes): StatusEntry {
  if (isWhole(packed)) {
    const split = packed.indexOf('\n');
    const [state, tenant, clientRef, tags] = JSON.parse(packed.slice(0, split)) as [MessageState, string, string, string[]];
    const [accepted, ...events] = decodeHistory(messageId, packed.slice(split + 1));
    return new StatusEntry(tenant, clientRef, tags, state, accepted!.atMs, events.length === 0 ? null : events);
  }
  const timesEnd = packed.indexOf('\n');
  const refsEnd = packed.indexOf('\n', timesEnd + 1);
  const times = packed.slice(0, timesEnd).split('\t');
  const refs = packed.slice(timesEnd + 1, refsEnd).split('\t');
  const shape = shapes.get(Number(times[0]));
  const firstMs = Number(times[1]);
  const events = shape.events.map((e, i) => withOwnFields(e, messageId, firstMs + Number(times[i + 2]), refs[i]!));
  return new StatusEntry(shape.tenant, packed.slice(refsEnd + 1), shape.tags, shape.state, firstMs, events.length === 0 ? null : events);
}

/** Call when a packed record is dropped or replaced: its shape has one user fewer. */
export function releaseStatus(packed: string, shapes: HistoryShapes): void {
  if (!isWhole(packed)) shapes.release(Number(packed.slice(0, packed.indexOf('\t'))));
}

export function tenantOfStatus(status: StoredStatus, shapes: HistoryShapes): string {
  if (typeof status !== 'string') return status.tenant;
  return isWhole(status) ? unpackStatus('', status, shapes).tenant : shapes.get(Number(status.slice(0, status.indexOf('\t')))).tenant;
}

export function acceptedAtMsOfStatus(status: StoredStatus): number {
  if (typeof status !== 'string') return status.acceptedAtMs;
  // The whole form's header holds no tab, so its first tab-separated time is the history's first; the shaped form's follows the id.
  if (isWhole(status)) return acceptedAtMsOfHistory(status);
  const start = status.indexOf('\t') + 1;
  const tab = status.indexOf('\t', start);
  const newline = status.indexOf('\n', start);
  return Number(status.slice(start, tab >= 0 && tab < newline ? tab : newline));
}

/** The history of message `messageId`, ACCEPTED first. */
export function historyOf(messageId: string, entry: StatusEntry): StatusEvent[] {
  const accepted = acceptedEvent(messageId, entry.acceptedAtMs);
  return entry.events === null ? [accepted] : [accepted, ...entry.events];
}

/** How many events the history holds, ACCEPTED included. */
export function historyLength(entry: StatusEntry): number {
  return 1 + (entry.events?.length ?? 0);
}

/** Adds an event to the history that does not move the state: an overtaken non-final one (a submit answer after its delivery report) before the first final event; others at the end. */
export function insertStale(entry: StatusEntry, event: StatusEvent): void {
  const events = (entry.events ??= []);
  const firstFinal = isFinalState(event.state) ? -1 : events.findIndex((e) => isFinalState(e.state));
  if (firstFinal < 0) events.push(event);
  else events.splice(firstFinal, 0, event);
}

/** A shape's event with this message's id, time and supplier reference. */
function withOwnFields(e: StatusEvent, messageId: string, atMs: number, providerRef: string): StatusEvent {
  const event: StatusEvent = { messageId, state: e.state, atMs, channel: e.channel, providerId: e.providerId, providerRef, code: e.code, reason: e.reason, billableUnits: e.billableUnits };
  if (e.why !== undefined) event.why = e.why;
  return event;
}

function isWhole(packed: string): boolean {
  return packed.startsWith('[');
}
