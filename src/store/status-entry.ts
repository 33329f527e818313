import type { MessageState } from '../domain/message-state.js';
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
 * final, and a string costs less than an object holding one:
 *   JSON [state, tenant, clientRef, tags] \n history
 * JSON keeps the header on one line (it escapes newlines and tabs).
 */
export type StoredStatus = StatusEntry | string;

export function packStatus(entry: StatusEntry): string {
  // join makes one flat string (the history is flat already).
  return [JSON.stringify([entry.state, entry.tenant, entry.clientRef, entry.tags]), entry.history].join('\n');
}

export function unpackStatus(packed: string): StatusEntry {
  const split = packed.indexOf('\n');
  const [state, tenant, clientRef, tags] = JSON.parse(packed.slice(0, split)) as [MessageState, string, string, string[]];
  return new StatusEntry(tenant, clientRef, tags, state, packed.slice(split + 1));
}

export function tenantOfStatus(status: StoredStatus): string {
  return typeof status === 'string' ? unpackStatus(status).tenant : status.tenant;
}

export function acceptedAtMsOfStatus(status: StoredStatus): number {
  // The packed header holds no tab, so the first tab-separated time of a packed record is the history's too.
  return acceptedAtMsOfHistory(typeof status === 'string' ? status : status.history);
}
