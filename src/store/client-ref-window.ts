import { PackedStatusTable } from './packed-status-table.js';

/** The message that took a client_ref, when, and its clientRefFingerprint. */
export interface ClientRefHolder {
  readonly messageId: string;
  readonly atMs: number;
  readonly fingerprint: string;
}

/**
 * The memory store's client_ref window: by "<tenant>\0<clientRef>", the message that took the
 * reference; oldest first, forgotten by age (the dedup window) and count (maxStatusRecords).
 *
 * Kept in a PackedStatusTable, outside the JavaScript heap. Clients that resend safely send a
 * client_ref with every message, so the window runs full: a million references. As Map entries
 * (a key string, an object, its fingerprint and message id strings: 0.37 KB of heap each,
 * measured) they were the largest thing in the heap, every major GC marked them all, and a gateway
 * driven at its peak with a reference per message grew past 1 GB of RSS with ack p99 at 1.8 s
 * (bench/README). Packed, a reference costs its record's bytes (about 90) and 16 bytes of index.
 *
 *   record: <key> \n <atMs> \t <fingerprint> \t <messageId>
 *
 * The table keys a record by the text before its first '\n', so a key holding '\n' (or '\\') is
 * escaped first; the gateway's client_ref rule allows neither, so that costs nothing in practice.
 */
export class ClientRefWindow {
  private readonly table: PackedStatusTable;

  constructor(expectedRefs: number) {
    this.table = new PackedStatusTable(expectedRefs);
  }

  get size(): number {
    return this.table.size;
  }

  /** The holder of `key`, expired or not (the caller judges by atMs), or undefined. */
  get(key: string): ClientRefHolder | undefined {
    const record = this.table.get(tableKey(key));
    if (record === undefined) return undefined;
    const atStart = record.indexOf('\n') + 1;
    const atEnd = record.indexOf('\t', atStart);
    const fingerprintEnd = record.indexOf('\t', atEnd + 1);
    return {
      atMs: Number(record.slice(atStart, atEnd)),
      fingerprint: record.slice(atEnd + 1, fingerprintEnd),
      messageId: record.slice(fingerprintEnd + 1),
    };
  }

  /**
   * Makes `holder` the newest entry for `key`. `replacing`: the key has a holder (an expired one),
   * which goes; without it the key must have none (get said so), which spares a second look-up.
   */
  set(key: string, holder: ClientRefHolder, replacing: boolean): void {
    const escaped = tableKey(key);
    const record = `${escaped}\n${holder.atMs}\t${holder.fingerprint}\t${holder.messageId}`;
    const kept = replacing ? this.table.put(escaped, record) : this.table.add(escaped, record);
    // Only a record longer than the table's 1 MB chunks is refused: no client_ref is that long.
    if (!kept) throw new RangeError(`client_ref record of ${record.length} characters is too long to keep`);
  }

  /** Forgets, oldest first, up to `limit` entries that are `windowMs` old at `nowMs` or beyond the newest `maxEntries`. */
  trim(nowMs: number, windowMs: number, maxEntries: number, limit: number): void {
    for (let dropped = 0; dropped < limit; dropped++) {
      const oldest = this.table.oldest();
      if (oldest === undefined) return;
      if (nowMs - atMsOf(oldest) < windowMs && this.table.size <= maxEntries) return;
      this.table.dropOldest();
    }
  }
}

/** The time a record was set, from its second line's first field. */
function atMsOf(record: string): number {
  const atStart = record.indexOf('\n') + 1;
  return Number(record.slice(atStart, record.indexOf('\t', atStart)));
}

/** `key` with '\\' and '\n' escaped: a key the table can hold, one to one. */
function tableKey(key: string): string {
  return key.includes('\n') || key.includes('\\') ? key.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : key;
}
