/**
 * The texts that many final status records share, each kept once with a count of the records that
 * use it: the memory store keeps up to maxStatusRecords (2,000,000 by default) records, and the
 * messages of one route, supplier and outcome differ only in their times, supplier references and
 * client_refs. A packed record names its shape by index (see status-entry.ts).
 *
 *   shapes: [ text 0, text 1, '' (freed), text 3, ... ]
 *   ids:    text -> its index
 *   uses:   [ records naming shape 0, ... ]; at 0 the text is dropped and its index reused
 *
 * At most `limit` texts are kept; a new one past that is refused and its record packed whole.
 */
export class HistoryShapes {
  private readonly shapes: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly uses: number[] = [];
  private readonly freed: number[] = [];
  /** The text last used and its index: consecutive messages mostly share one, and comparing is cheaper than hashing. */
  private lastText = '';
  private lastId = -1;

  constructor(private readonly limit: number) {}

  /** How many texts are kept. */
  get size(): number {
    return this.ids.size;
  }

  /** The text's index, counting one more record that uses it; -1 when it is new and `limit` texts are kept. */
  use(text: string): number {
    let id = text === this.lastText ? this.lastId : this.ids.get(text);
    if (id === undefined) {
      if (this.ids.size >= this.limit) return -1;
      id = this.freed.pop() ?? this.shapes.length;
      this.shapes[id] = text;
      this.uses[id] = 0;
      this.ids.set(text, id);
    }
    this.uses[id]!++;
    this.lastText = text;
    this.lastId = id;
    return id;
  }

  /** One record fewer uses shape `id`. */
  release(id: number): void {
    const left = --this.uses[id]!;
    if (left > 0) return;
    this.ids.delete(this.shapes[id]!);
    if (id === this.lastId) this.lastText = '';
    this.shapes[id] = '';
    this.freed.push(id);
  }

  /** The text of shape `id` (one in use). */
  text(id: number): string {
    return this.shapes[id]!;
  }
}
