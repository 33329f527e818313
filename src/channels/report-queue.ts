/**
 * A bounded hand-off from a stream's 'data' events to one async consumer. push() returns false
 * once the queue holds `highWater` items, so the producer can pause its stream; onDrained is
 * called when the consumer has taken everything and the producer may resume.
 */
export class ReportQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly highWater: number,
    private readonly onDrained: () => void,
  ) {}

  push(item: T): boolean {
    if (this.closed) return false;
    this.items.push(item);
    this.wake?.();
    return this.items.length < this.highWater;
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        if (this.items.length === 0) this.onDrained();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
