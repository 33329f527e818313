/**
 * A hash index of positions in an append-only log or ring, for the tables that keep their entries
 * in arrival order and must never rehash them all at once (PackedStatusTable, SetOrderMap).
 *
 *   slots: Float64Array, a power of two of them, at most half full: 0 = empty, p + 1 = position p
 *          (positions count up for the table's life: a Float64 holds 2^53 of them)
 *   open addressing with linear probing from hash & mask; deletion by backward shift, so no
 *   tombstones pile up and a table that forgets as fast as it learns never rebuilds its index
 *
 * The index is made for the entries it is expected to hold (up to MAX_PRESIZED_ENTRIES); past
 * that it doubles, in one go. Its pages are taken from the system as entries land in them.
 *
 * The owner hashes keys and compares them; the index asks it only for the hash of the key at a
 * position, when it moves entries. A look-up probes with home, next and positionAt.
 */
export class PositionIndex {
  private slots: Float64Array;
  private count = 0;

  constructor(
    expectedEntries: number,
    /** The hash of the key at `position`, as the owner gives it for the key (any 32-bit integer). */
    private readonly hashAt: (position: number) => number,
  ) {
    this.slots = new Float64Array(indexSlotsFor(Math.min(expectedEntries, MAX_PRESIZED_ENTRIES)));
  }

  /** The first slot to look at for `hash`. */
  home(hash: number): number {
    return hash & (this.slots.length - 1);
  }

  /** The slot after `slot`. */
  next(slot: number): number {
    return (slot + 1) & (this.slots.length - 1);
  }

  /** The position in `slot`, or -1 when it is empty: a probe for a key ends there. */
  positionAt(slot: number): number {
    return this.slots[slot]! - 1;
  }

  /** The slot that holds `position`, whose key hashes to `hash` (the position must be in the index). */
  slotOf(position: number, hash: number): number {
    let slot = this.home(hash);
    while (this.slots[slot] !== position + 1) slot = this.next(slot);
    return slot;
  }

  /** Adds `position` under `hash`, doubling the index first if it would be more than half full. */
  add(hash: number, position: number): void {
    if (2 * (this.count + 1) > this.slots.length) this.rebuild(2 * this.slots.length);
    this.insert(hash, position);
    this.count++;
  }

  /** Empties `slot`, moving later entries of its probe run back so every entry stays reachable from its home slot. */
  removeAt(slot: number): void {
    const mask = this.slots.length - 1;
    let hole = slot;
    for (let next = (slot + 1) & mask; this.slots[next] !== 0; next = (next + 1) & mask) {
      const home = this.hashAt(this.slots[next]! - 1) & mask;
      // Movable when the hole lies on the way from its home slot to where it is now.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.slots[hole] = this.slots[next]!;
        hole = next;
      }
    }
    this.slots[hole] = 0;
    this.count--;
  }

  /** Empties every slot. */
  clear(): void {
    this.slots.fill(0);
    this.count = 0;
  }

  private insert(hash: number, position: number): void {
    let slot = this.home(hash);
    while (this.slots[slot] !== 0) slot = this.next(slot);
    this.slots[slot] = position + 1;
  }

  private rebuild(size: number): void {
    const old = this.slots;
    this.slots = new Float64Array(size);
    for (const entry of old) if (entry !== 0) this.insert(this.hashAt(entry - 1), entry - 1);
  }
}

const MIN_SLOTS = 1024;
/** Entries an index is made for at most up front (64 MB of slots); one expected to hold more grows past it. */
const MAX_PRESIZED_ENTRIES = 4_000_000;

/** Slots for `entries` entries: at most half full (linear probing stays short), a power of two. */
export function indexSlotsFor(entries: number): number {
  let slots = MIN_SLOTS;
  while (slots < 2 * entries) slots *= 2;
  return slots;
}
