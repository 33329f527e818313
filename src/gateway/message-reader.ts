import type { Readable } from 'node:stream';

/**
 * Reads the client's messages of a server stream one at a time, for a handler that must not read
 * the next one before it has dealt with the last (so HTTP/2 flow control holds a fast client back).
 * It does what the stream's async iterator does, at a fraction of its cost per message: a buffered
 * message costs one promise instead of the iterator's generator steps, and the listeners are added
 * once per call instead of per wait.
 */
export class MessageReader<T> {
  private wake: (() => void) | null = null;
  /** An 'error' was emitted on the call (its status is on the way): read no further, as the iterator would not. */
  private failed = false;

  constructor(private readonly stream: Readable) {
    const onChange = (): void => {
      const wake = this.wake;
      this.wake = null;
      wake?.();
    };
    // 'readable' is what read() waits for; the others end a wait when the stream ends, fails or is destroyed.
    stream.on('readable', onChange).on('end', onChange).on('close', onChange).on('error', () => {
      this.failed = true;
      onChange();
    });
  }

  /** A message that has already arrived, or null when none has (it never waits). */
  poll(): T | null {
    if (this.failed || this.stream.destroyed || this.stream.readableEnded) return null;
    return this.stream.read() as T | null;
  }

  /** The next message, or null once the client half-closed and every message was read, or the call ended. */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.failed || this.stream.destroyed || this.stream.readableEnded) return null;
      const message = this.stream.read() as T | null;
      if (message !== null) return message;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
