/**
 * Lets code wait until a condition over stream state holds: streams call `notify()` on every
 * event, and `until()` re-tests its predicate then, so no polling loop runs between events.
 */
export interface Waker {
  notify(): void;
  /** Resolves true once `predicate` holds, false if it still does not after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean>;
}

export function createWaker(): Waker {
  const waiting = new Set<() => void>();
  return {
    notify: () => {
      for (const wake of [...waiting]) wake();
    },
    until: (predicate, timeoutMs) =>
      new Promise<boolean>((resolve) => {
        if (predicate()) return resolve(true);
        const done = (result: boolean): void => {
          waiting.delete(wake);
          clearTimeout(timer);
          resolve(result);
        };
        const wake = (): void => {
          if (predicate()) done(true);
        };
        const timer = setTimeout(() => done(predicate()), timeoutMs);
        waiting.add(wake);
      }),
  };
}
