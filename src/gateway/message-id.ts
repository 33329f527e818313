import { randomBytes } from 'node:crypto';

/**
 * Creates gateway message ids: a random per-process prefix (so ids from different nodes and
 * restarts never collide) followed by a counter. Cheap enough for the hot path:
 * no crypto call per message.
 */
export function createMessageIdGenerator(): () => string {
  const prefix = `m${randomBytes(6).toString('hex')}`;
  let counter = 0;
  return () => `${prefix}-${(counter++).toString(36)}`;
}
