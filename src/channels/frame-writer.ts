import type { ServerDuplexStream } from '@grpc/grpc-js';

/** Writes frames on one call, holding them while the call waits for 'drain'. */
export interface FrameWriter<T> {
  /** Writes now, or after the frames already held once the call drains. */
  write(frame: T): void;
  /** Ends the call after every held frame is written. */
  end(): void;
  /** True while the call waits for 'drain'. */
  readonly blocked: boolean;
}

/** Honours `write()` returning false: later frames wait, in order, until 'drain'. */
export function createFrameWriter<T>(call: ServerDuplexStream<unknown, T>, onBlocked: () => void, onDrain: () => void): FrameWriter<T> {
  const held: T[] = [];
  let blocked = false;
  let ended = false;
  call.on('drain', () => {
    blocked = false;
    while (held.length > 0 && !blocked) send(held.shift() as T);
    if (blocked) return;
    if (ended) {
      if (call.writable) call.end();
    } else onDrain();
  });
  const send = (frame: T): void => {
    if (!call.writable) return; // the peer left; its unanswered messages get resent
    if (!call.write(frame)) {
      blocked = true;
      onBlocked();
    }
  };
  return {
    write: (frame) => (blocked ? held.push(frame) : send(frame)),
    end: () => {
      if (ended) return;
      ended = true;
      if (!blocked && call.writable) call.end();
    },
    get blocked() {
      return blocked;
    },
  };
}
