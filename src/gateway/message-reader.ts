import type { Readable } from 'node:stream';
import { status as Status } from '@grpc/grpc-js';
import { GatewayError } from './gateway-error.js';

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
  /** Fires when one wait for the client lasts idleMs: made at the first wait, re-armed by each later one (refresh, no new timer). */
  private idleTimer: NodeJS.Timeout | null = null;
  private idle = false;

  /** `idleMs`: how long next() waits for a message before it fails with DEADLINE_EXCEEDED; null to wait as long as the call lasts. */
  constructor(
    private readonly stream: Readable,
    private readonly idleMs: number | null = null,
  ) {
    // 'readable' is what read() waits for; the others end a wait when the stream ends, fails or is destroyed.
    stream.on('readable', this.wakeUp).on('end', this.wakeUp).on('close', this.wakeUp).on('error', () => {
      this.failed = true;
      this.wakeUp();
    });
    // A finished call must not keep its reader alive until the idle timer would fire.
    if (idleMs !== null) stream.once('close', () => clearTimeout(this.idleTimer ?? undefined));
  }

  /** A message that has already arrived, or null when none has (it never waits). */
  poll(): T | null {
    if (this.failed || this.stream.destroyed || this.stream.readableEnded) return null;
    return this.stream.read() as T | null;
  }

  /**
   * The next message, or null once the client half-closed and every message was read, or the call
   * ended. Throws DEADLINE_EXCEEDED when the client sent nothing for idleMs.
   */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.failed || this.stream.destroyed || this.stream.readableEnded) return null;
      const message = this.stream.read() as T | null;
      if (message !== null) return message;
      if (this.idle) {
        throw new GatewayError(
          Status.DEADLINE_EXCEEDED,
          `no message from the client for ${(this.idleMs as number) / 1000} s: the idle stream is closed (server.streamIdleTimeout); everything sent before was answered; open a new stream to send more`,
        );
      }
      if (this.idleMs !== null) this.armIdleTimer(this.idleMs);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private readonly wakeUp = (): void => {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };

  private armIdleTimer(idleMs: number): void {
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      // Fired while the handler was busy with the last message, not waiting: not the client's idleness.
      if (this.wake === null) return;
      this.idle = true;
      this.wakeUp();
    }, idleMs);
    this.idleTimer.unref();
  }
}
