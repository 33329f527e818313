/** What an operator set for a supplier, as the store keeps it for every node. */
export interface StoredOperatorState {
  /** Takes no new messages; what it has in flight finishes. */
  readonly drained: boolean;
  /** Goes before every priority group of each channel it carries (set by a switch to it). */
  readonly preferred: boolean;
}

/**
 * Operator overrides of suppliers (drain, resume, switch), kept in the store so every node of a
 * deployment applies them and a restarted node finds them again: a supplier drained during an
 * incident stays drained on the whole site. The memory store keeps them for its one node.
 */
export interface OperatorStates {
  /** The overrides in force, by provider id; a supplier back to normal is absent. */
  readOperatorStates(): Promise<Map<string, StoredOperatorState>>;
  /** Sets overrides; a state with neither flag removes the supplier's override. */
  keepOperatorStates(states: ReadonlyMap<string, StoredOperatorState>): Promise<void>;
}

/** Neither drained nor preferred: what a supplier without an override is. */
export function isNormalOperatorState(state: StoredOperatorState): boolean {
  return !state.drained && !state.preferred;
}
