/**
 * Keys by due time, for the memory store's report deadlines: add, remove and take-the-due in
 * O(log n), so a sweep costs what it takes, not what is waiting. Removal is lazy: a removed or
 * re-added key's old heap entry is skipped when it surfaces.
 */
export class DeadlineHeap {
  private readonly heap: { dueMs: number; key: string }[] = [];
  private readonly live = new Map<string, number>();

  get size(): number {
    return this.live.size;
  }

  add(key: string, dueMs: number): void {
    this.live.set(key, dueMs);
    this.heap.push({ dueMs, key });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heap[parent]!.dueMs <= this.heap[i]!.dueMs) break;
      [this.heap[parent], this.heap[i]] = [this.heap[i]!, this.heap[parent]!];
      i = parent;
    }
  }

  remove(key: string): boolean {
    return this.live.delete(key);
  }

  /** Removes and returns up to maxCount keys due at nowMs, earliest first, with their due times. */
  takeDue(nowMs: number, maxCount: number): { key: string; dueMs: number }[] {
    const due: { key: string; dueMs: number }[] = [];
    while (due.length < maxCount && this.heap.length > 0 && this.heap[0]!.dueMs <= nowMs) {
      const top = this.pop();
      if (this.live.get(top.key) !== top.dueMs) continue; // removed, or re-added with another time
      this.live.delete(top.key);
      due.push(top);
    }
    // Stale entries (removed keys) must not pile up when nothing is due for long.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live.size) this.rebuild();
    return due;
  }

  private pop(): { dueMs: number; key: string } {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.heap[l]!.dueMs < this.heap[m]!.dueMs) m = l;
        if (r < this.heap.length && this.heap[r]!.dueMs < this.heap[m]!.dueMs) m = r;
        if (m === i) break;
        [this.heap[m], this.heap[i]] = [this.heap[i]!, this.heap[m]!];
        i = m;
      }
    }
    return top;
  }

  private rebuild(): void {
    const entries = [...this.live];
    this.heap.length = 0;
    this.live.clear();
    for (const [key, dueMs] of entries) this.add(key, dueMs);
  }
}
