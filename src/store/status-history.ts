import type { StatusEvent } from '../domain/status-event.js';
import { decodeStatusEventLine, encodeStatusEventLine } from './status-event-line.js';

/**
 * A message's status history as text, for the memory store's final records that share no shape
 * (see status-entry.ts): its events as status-event-line lines (the Redis store's format, without
 * the message id) joined by '\n', ACCEPTED first. A line never holds a '\n' (status-event-line
 * escapes it).
 */

export function encodeHistory(events: readonly StatusEvent[]): string {
  return events.map(encodeStatusEventLine).join('\n');
}

/** The events of message `messageId`'s history, in order. */
export function decodeHistory(messageId: string, history: string): StatusEvent[] {
  return history.split('\n').map((line) => decodeStatusEventLine(messageId, line));
}

/** When the message was accepted: the time of the history's first event. */
export function acceptedAtMsOfHistory(history: string): number {
  const start = history.indexOf('\t') + 1;
  return Number(history.slice(start, history.indexOf('\t', start)));
}
