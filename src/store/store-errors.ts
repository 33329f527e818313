/** The store cannot be reached or did not confirm a write in time; the caller may retry. Becomes UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** The store refuses writes because it is out of memory. Becomes RESOURCE_EXHAUSTED. */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

/** A report cursor this store did not issue. Becomes INVALID_ARGUMENT. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** A stored value this node cannot read (e.g. sealed with a key it does not hold); nothing is lost, but the message waits until it can be read. */
export class StoreDataError extends Error {
  override readonly name = 'StoreDataError';
}
