/**
 * Forgets the oldest entries of a Map whose entries are set in age order (the memory store's
 * dedup keys and provider refs; its client refs trim the same way, see ClientRefWindow), a few at a time: each batch of sets trims a couple
 * per set, so the Map never has a backlog of expired entries to delete at once. Deleting the
 * expired ones of a million-entry Map every 10 s (16k new a second) held the event loop 70-300 ms
 * each time.
 *
 * The walk is one Map iterator kept across calls (it survives deletions and sees later sets), so a
 * call does not step again over the slots V8 keeps for deleted entries at the front of the table.
 * An entry the walk reached but had to keep is held and looked at first next time.
 */
export class OldestFirstTrim<V> {
  private walk: MapIterator<[string, V]> | undefined;
  private held: [string, V] | undefined;

  constructor(
    private readonly map: Map<string, V>,
    private readonly atMsOf: (value: V) => number,
  ) {}

  /** Deletes, oldest first, up to `limit` entries that are `windowMs` old at `nowMs` or beyond the newest `maxEntries`. */
  trim(nowMs: number, windowMs: number, maxEntries: number, limit: number): void {
    for (let deleted = 0, steps = 0; deleted < limit && steps < 2 * limit + 2; steps++) {
      let entry = this.held;
      this.held = undefined;
      // A held entry may have been deleted or set again since: look at what the Map has now.
      if (entry !== undefined && this.map.get(entry[0]) !== entry[1]) continue;
      if (entry === undefined) {
        this.walk ??= this.map.entries();
        const next = this.walk.next();
        if (next.done === true) {
          this.walk = undefined;
          return;
        }
        entry = next.value;
      }
      if (nowMs - this.atMsOf(entry[1]) < windowMs && this.map.size <= maxEntries) {
        this.held = entry;
        return;
      }
      this.map.delete(entry[0]);
      deleted++;
    }
  }
}
