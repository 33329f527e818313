/**
 * A FIFO queue over an array with a moving head: push and shift are O(1) amortised, and the array
 * is compacted when the consumed prefix is large, so a long-running queue does not keep its
 * history alive.
 *
 *   items: [ consumed... | head -> live items ... ]
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns up to maxCount items from the front into out. */
  shiftInto(out: T[], maxCount: number): void {
    const end = Math.min(this.items.length, this.head + maxCount);
    for (let i = this.head; i < end; i++) {
      out.push(this.items[i] as T);
      this.items[i] = undefined;
    }
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
