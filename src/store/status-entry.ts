import { isFinalState, type MessageState } from '../domain/message-state.js';
import { acceptedEvent, type StatusEvent } from '../domain/status-event.js';
import { refSourcesOf, type HistoryShapes } from './history-shapes.js';
import { acceptedAtMsOfHistory, decodeHistory, encodeHistory } from './status-history.js';

/**
 * A message's status record in the memory store while it is on its way (the message id is its
 * key; a final one is packed, see packStatus): the events as recorded, not copied; ACCEPTED is
 * implied by acceptedAtMs.
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
 * A status record as the memory store packs it: a final one for the rest of its retention (only
 * a late report changes it then, and unpacks it), or one of a message waiting long on its way
 * (see MemoryStore.packWaiting). The store keeps up to maxStatusRecords (1,000,000 by default)
 * records, most of them final, so a packed record keeps only what is the message's own, starts
 * with its message id (the PackedStatusTable's key) and names the rest by a shared shape (see
 * HistoryShapes):
 *
 *   shaped: <messageId> \n <shape id> \t <acceptedAtMs> \t <each event's atMs - acceptedAtMs>... \n <the own providerRefs, \t-separated> \n <clientRef>
 *   whole:  <messageId> \n JSON [state, tenant, clientRef, tags] \n <the history in status-event-line lines>
 *
 * A providerRef that is '' or repeats the previous event's (a delivery report names the reference
 * its submit answer gave) is not written: the shape says so (HistoryShape.refSources). A bulk
 * SMS's record is about 60 characters. The clientRef comes last, so it may hold anything. A
 * record is packed whole when the shape table is full, a time is no safe integer, or a
 * providerRef holds a tab or newline. JSON keeps the header on one line (it escapes newlines and
 * tabs), and the lines escape theirs. A message id never holds a newline (the store keeps such a
 * message's record unpacked).
 */
export function packStatus(messageId: string, entry: StatusEntry, shapes: HistoryShapes): string {
  const events = entry.events ?? NO_EVENTS;
  const firstMs = entry.acceptedAtMs;
  let times = String(firstMs);
  let refs = '';
  let ownRefs = 0;
  let shapeable = Number.isSafeInteger(firstMs);
  const refSources = refSourcesOf(events);
  for (let i = 0; i < events.length && shapeable; i++) {
    const { atMs, providerRef } = events[i]!;
    shapeable = Number.isSafeInteger(atMs) && Number.isSafeInteger(atMs - firstMs);
    times += `\t${atMs - firstMs}`;
    if (refSources.charCodeAt(i) !== OWN) continue;
    shapeable &&= !providerRef.includes('\t') && !providerRef.includes('\n');
    refs += ownRefs++ === 0 ? providerRef : `\t${providerRef}`;
  }
  const id = shapeable ? shapes.use({ state: entry.state, tenant: entry.tenant, tags: entry.tags, refSources, events }) : -1;
  if (id < 0) return [messageId, JSON.stringify([entry.state, entry.tenant, entry.clientRef, entry.tags]), encodeHistory(historyOf('', entry))].join('\n');
  // join makes one flat string of the pieces.
  return [messageId, `${id}\t${times}`, refs, entry.clientRef].join('\n');
}

/** The entry of a packed record; the record keeps its shape (see releaseStatus). */
export function unpackStatus(packed: string, shapes: HistoryShapes): StatusEntry {
  const idEnd = packed.indexOf('\n');
  const messageId = packed.slice(0, idEnd);
  if (isWhole(packed, idEnd)) {
    const split = packed.indexOf('\n', idEnd + 1);
    const [state, tenant, clientRef, tags] = JSON.parse(packed.slice(idEnd + 1, split)) as [MessageState, string, string, string[]];
    const [accepted, ...events] = decodeHistory(messageId, packed.slice(split + 1));
    return new StatusEntry(tenant, clientRef, tags, state, accepted!.atMs, events.length === 0 ? null : events);
  }
  const timesEnd = packed.indexOf('\n', idEnd + 1);
  const refsEnd = packed.indexOf('\n', timesEnd + 1);
  const times = packed.slice(idEnd + 1, timesEnd).split('\t');
  const refs = packed.slice(timesEnd + 1, refsEnd).split('\t');
  const shape = shapes.get(Number(times[0]));
  const firstMs = Number(times[1]);
  const events: StatusEvent[] = [];
  let own = 0;
  for (let i = 0; i < shape.events.length; i++) {
    const source = shape.refSources.charCodeAt(i);
    const providerRef = source === OWN ? refs[own++]! : source === SAME ? events[i - 1]!.providerRef : '';
    events.push(withOwnFields(shape.events[i]!, messageId, firstMs + Number(times[i + 2]), providerRef));
  }
  return new StatusEntry(shape.tenant, packed.slice(refsEnd + 1), shape.tags, shape.state, firstMs, events.length === 0 ? null : events);
}

/** Call when a packed record is dropped or replaced: its shape has one user fewer. */
export function releaseStatus(packed: string, shapes: HistoryShapes): void {
  const idEnd = packed.indexOf('\n');
  if (!isWhole(packed, idEnd)) shapes.release(Number(packed.slice(idEnd + 1, packed.indexOf('\t', idEnd))));
}

export function tenantOfStatus(packed: string, shapes: HistoryShapes): string {
  const idEnd = packed.indexOf('\n');
  return isWhole(packed, idEnd) ? unpackStatus(packed, shapes).tenant : shapes.get(Number(packed.slice(idEnd + 1, packed.indexOf('\t', idEnd)))).tenant;
}

export function acceptedAtMsOfStatus(packed: string): number {
  const idEnd = packed.indexOf('\n');
  if (isWhole(packed, idEnd)) return acceptedAtMsOfHistory(packed.slice(packed.indexOf('\n', idEnd + 1) + 1));
  // The shaped form: the time after the shape id, ended by a tab (an event's time) or the line's end.
  const start = packed.indexOf('\t', idEnd) + 1;
  const tab = packed.indexOf('\t', start);
  const newline = packed.indexOf('\n', start);
  return Number(packed.slice(start, tab >= 0 && tab < newline ? tab : newline));
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

/**
 * Adds an event at the end of the history. The array is made anew at its exact length: a pushed
 * array keeps room for 16 more, 130 bytes per message on its way (and a backlog of messages
 * waiting for their delivery reports can run to hundreds of thousands).
 */
export function appendEvent(entry: StatusEntry, event: StatusEvent): void {
  entry.events = entry.events === null ? [event] : entry.events.concat([event]);
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

function isWhole(packed: string, idEnd: number): boolean {
  return packed.charCodeAt(idEnd + 1) === OPEN_BRACKET;
}

const NO_EVENTS: readonly StatusEvent[] = [];
const OWN = 43; // '+'
const SAME = 61; // '='
const OPEN_BRACKET = 91; // '['

