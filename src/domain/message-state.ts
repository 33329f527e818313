export type MessageState =
  | 'accepted'
  | 'routed'
  | 'submitted'
  | 'delivered'
  | 'failed'
  | 'expired'
  | 'rejected'
  | 'fallback'
  | 'cancelled'
  | 'deferred';

/** States after which nothing changes a message any more. */
export function isFinalState(state: MessageState): boolean {
  return state === 'delivered' || state === 'failed' || state === 'expired' || state === 'rejected' || state === 'cancelled';
}

/**
 * Progress rank used to keep the state machine monotone: an event is applied only when it moves
 * a message forward. Reports can arrive before the submit answer, twice, or out of order.
 */
export function stateRank(state: MessageState): number {
  switch (state) {
    case 'accepted':
      return 1;
    // Between ACCEPTED and ROUTED: a hold starts once (a repeated DEFERRED is stale) and routing follows it.
    case 'deferred':
      return 1.5;
    // FALLBACK starts the next channel of a chain: it may follow SUBMITTED (a failed report) and
    // repeat once per step; the stores then take that channel's ROUTED, but not a late SUBMITTED of
    // the channel that failed (see movesForward in memory-store.ts and RECORD_EVENTS_SCRIPT).
    case 'routed':
    case 'fallback':
      return 2;
    case 'submitted':
      return 3;
    case 'delivered':
    case 'failed':
    case 'expired':
    case 'rejected':
    case 'cancelled':
      return 4;
  }
}
