import { isFinalState, type MessageState } from '../domain/message-state.js';
import type { StatusEvent } from '../domain/status-event.js';
import { decodeStatusEventLine, encodeStatusEventLine } from './status-event-line.js';

/**
 * A message's status history in the memory store: its events as status-event-line lines (the
 * Redis store's format, without the message id) joined by '\n', in history order, ACCEPTED first.
 * One flat string per message instead of an array and an object per event: the store keeps up to
 * maxStatusRecords (2,000,000 by default) histories, and a history of four events takes about a
 * third of the memory this way. A line never holds a '\n' (status-event-line escapes it).
 */

/** A history holding only the message's acceptance. */
export function startHistory(accepted: StatusEvent): string {
  // join copies into one flat string: the encoded line is a tree of string pieces otherwise.
  return [encodeStatusEventLine(accepted)].join('');
}

/** The history with the event added at the end. */
export function appendToHistory(history: string, event: StatusEvent): string {
  // Also one flat string: `history + '\n' + line` would keep a tree of pieces per message.
  return [history, encodeStatusEventLine(event)].join('\n');
}

/** An overtaken non-final event (a submit answer after its delivery report) goes in before the first final event; others at the end. */
export function insertStaleIntoHistory(history: string, event: StatusEvent): string {
  const lines = history.split('\n');
  const firstFinal = isFinalState(event.state) ? -1 : lines.findIndex((line) => isFinalState(stateOfLine(line)));
  if (firstFinal < 0) return appendToHistory(history, event);
  lines.splice(firstFinal, 0, encodeStatusEventLine(event));
  return lines.join('\n');
}

/** How many events the history holds. */
export function historyLength(history: string): number {
  let count = 1;
  for (let i = history.indexOf('\n'); i >= 0; i = history.indexOf('\n', i + 1)) count++;
  return count;
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

function stateOfLine(line: string): MessageState {
  return line.slice(0, line.indexOf('\t')) as MessageState;
}
