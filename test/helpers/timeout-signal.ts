/**
 * Like AbortSignal.timeout, but its timer keeps the event loop alive: a test awaiting only a
 * store wait must not let node:test see an idle loop and cancel it.
 */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms);
  return controller.signal;
}
