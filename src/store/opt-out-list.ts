/**
 * Per-tenant advertising opt-out lists (수신거부), kept by the same backends as the message store.
 * Separate from MessageStore so each interface stays about one role. Phone numbers are E.164.
 * Every method works on a batch and costs one round trip.
 */
export interface OptOutList {
  /** Adds numbers to the tenant's list; resolves with how many were not on it. */
  addOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number>;
  /** Removes numbers from the tenant's list; resolves with how many were on it. */
  removeOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number>;
  /** The subset of the numbers that are on the tenant's list. */
  findOptedOut(tenant: string, phoneNumbers: readonly string[]): Promise<Set<string>>;
}
