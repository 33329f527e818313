import type { Cluster, Redis } from 'ioredis';
import type { InboundEvent, StatusEvent } from '../domain/status-event.js';
import { NO_SEALING, type Sealing } from './payload-sealer.js';
import { decodeStatusEventLine } from './status-event-line.js';
import type { StoredReport } from './store.js';

/**
 * One pass over a tenant's report streams (one per shard), from `positions` (updated in place) to
 * at most maxCount reports. A stream entry holds the report lines written together (one script
 * call, field "b"), so a position is the id of the last entry read completely, or "<id>/<k>" when
 * line k of entry <id> was the last one read; a report's cursor is all positions joined by ",".
 */
export async function readReportEntries(redis: Redis | Cluster, keys: readonly string[], positions: string[], maxCount: number, sealing: Sealing = NO_SEALING): Promise<StoredReport[]> {
  const replies = await Promise.all(
    keys.map((key, shard) => {
      const [entryId = '0-0', partial] = (positions[shard] as string).split('/');
      // A partly read entry is read again (inclusive start); a fully read one is skipped with "(".
      return redis.xrange(key, partial === undefined ? `(${entryId}` : entryId, '+', 'COUNT', maxCount) as Promise<[string, string[]][]>;
    }),
  );
  const reports: StoredReport[] = [];
  replies.forEach((entries, shard) => {
    const [readId, partial] = (positions[shard] as string).split('/');
    for (const [id, fields] of entries) {
      const lines = (fields[fields.indexOf('b') + 1] ?? '').split('\n');
      for (let k = id === readId && partial !== undefined ? Number(partial) + 1 : 0; k < lines.length; k++) {
        if (reports.length >= maxCount) return;
        positions[shard] = k === lines.length - 1 ? id : `${id}/${k}`;
        const report = toStoredReport(positions.join(','), lines[k] as string, sealing);
        if (report !== null) reports.push(report);
      }
    }
  });
  return reports;
}

/**
 * Parses one report line ("s<clientRef>\t<messageId>\t<statusEventLine>", or "s<clientRef>\t<eventJson>"
 * as earlier versions wrote it, or "i\t<inbound>", the inbound JSON sealed when store.encryption
 * is on); null for a line this version does not know.
 */
function toStoredReport(cursor: string, line: string, sealing: Sealing): StoredReport | null {
  const tab = line.indexOf('\t');
  if (tab < 0) return null;
  if (line.startsWith('s')) {
    const clientRef = line.slice(1, tab);
    if (line.charAt(tab + 1) === '{') return { cursor, status: { ...(JSON.parse(line.slice(tab + 1)) as StatusEvent), clientRef }, inbound: null };
    const idEnd = line.indexOf('\t', tab + 1);
    if (idEnd < 0) return null;
    return { cursor, status: { ...decodeStatusEventLine(line.slice(tab + 1, idEnd), line.slice(idEnd + 1)), clientRef }, inbound: null };
  }
  if (line.startsWith('i')) return { cursor, status: null, inbound: JSON.parse(sealing.open(line.slice(tab + 1))) as InboundEvent };
  return null;
}

