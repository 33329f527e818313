/**
 * How long to wait before reconnect attempt `attempt` (0 for the first): exponential from
 * `firstMs` up to `maxMs`, with jitter in the upper half so connections and gateway nodes that
 * lost a supplier together do not reconnect in step. Shared by every connector kind.
 */
export function reconnectDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  const base = Math.min(maxMs, firstMs * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}
