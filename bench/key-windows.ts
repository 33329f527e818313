// Bench: a window of the newest keys that runs full and forgets its oldest as fast as it learns
// new ones (the supplier SDK's accepted message ids, the memory store's supplier references and
// dedup keys), kept in a SetOrderMap and, as the baseline in the same run, in a JavaScript Map
// used the same way. Each runs in its own process, so neither inherits the other's heap. Prints
// sets per second, the ratio to the Map, and the slowest batch of sets: a Map stalls each time
// V8 rebuilds its table.
//
//   npm run bench:windows [-- --window 1000000 --sets 3000000 --batch 1000]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SetOrderMap } from '../src/domain/set-order-map.js';

const { values } = parseArgs({
  options: {
    window: { type: 'string', default: '1000000' },
    sets: { type: 'string', default: '3000000' },
    batch: { type: 'string', default: '1000' },
    /** Internal: run one kind in this process and report to the parent. */
    child: { type: 'string' },
  },
});

const windowSize = positive('window');
const sets = positive('sets');
const batch = positive('batch');

function positive(name: 'window' | 'sets' | 'batch'): number {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value <= 0) {
    process.stderr.write(`--${name} must be a whole number > 0, got "${values[name]}"\n`);
    process.exit(2);
  }
  return value;
}

interface WindowUnderTest {
  readonly size: number;
  get(key: string): number | undefined;
  set(key: string, value: number): void;
  deleteOldest(): void;
}

/** A Map as a window: one iterator kept across calls walks the oldest keys (a new one per call would step over every deleted slot). */
class MapWindow implements WindowUnderTest {
  private readonly map = new Map<string, number>();
  private walk: MapIterator<string> | undefined;
  get size(): number {
    return this.map.size;
  }
  get(key: string): number | undefined {
    return this.map.get(key);
  }
  set(key: string, value: number): void {
    this.map.set(key, value);
  }
  deleteOldest(): void {
    this.walk ??= this.map.keys();
    const next = this.walk.next();
    if (next.done === true) this.walk = undefined;
    else this.map.delete(next.value);
  }
}

interface Figures {
  kind: string;
  setsPerSec: number;
  slowestBatchMs: number;
  batchesOver10Ms: number;
  /** Sets done when the window first ran full: the slowest batch after it is the steady state's. */
  steadySlowestBatchMs: number;
}

/** Sets `sets` message-id-like keys in batches, each batch forgetting past the window and looking up a recent key per set. */
function run(kind: string): Figures {
  const window: WindowUnderTest = kind === 'SetOrderMap' ? new SetOrderMap<number>(windowSize) : new MapWindow();
  let slowest = 0;
  let steadySlowest = 0;
  let over10 = 0;
  let found = 0;
  /** How far back the look-up of each set reaches: a key still in the window. */
  const lookBack = Math.min(500, windowSize - 1);
  const start = performance.now();
  for (let first = 0; first < sets; first += batch) {
    const batchStart = performance.now();
    for (let i = first; i < Math.min(first + batch, sets); i++) {
      window.set(`01JD8Z3Q9K7M2N4P${i}`, i);
      while (window.size > windowSize) window.deleteOldest();
      if (window.get(`01JD8Z3Q9K7M2N4P${Math.max(0, i - lookBack)}`) !== undefined) found++;
    }
    const ms = performance.now() - batchStart;
    slowest = Math.max(slowest, ms);
    if (first >= windowSize) steadySlowest = Math.max(steadySlowest, ms);
    if (ms > 10) over10++;
  }
  const elapsedMs = performance.now() - start;
  if (found !== sets) throw new Error(`${kind}: ${sets - found} recent keys not found`);
  return { kind, setsPerSec: Math.round(sets / (elapsedMs / 1000)), slowestBatchMs: slowest, batchesOver10Ms: over10, steadySlowestBatchMs: steadySlowest };
}

function inChild(kind: string): Promise<Figures> {
  const script = fileURLToPath(import.meta.url);
  const child = fork(script, ['--window', String(windowSize), '--sets', String(sets), '--batch', String(batch), '--child', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let figures: Figures | undefined;
    child.once('message', (message: Figures) => (figures = message));
    child.once('error', reject);
    child.once('exit', (code) => (figures !== undefined ? resolve(figures) : reject(new Error(`the ${kind} run exited with code ${code} before reporting`))));
  });
}

if (values.child !== undefined) {
  process.send?.(run(values.child));
} else {
  process.stdout.write(`window of ${windowSize.toLocaleString('en-US')} keys, ${sets.toLocaleString('en-US')} sets in batches of ${batch.toLocaleString('en-US')}\n\n`);
  const rows: Figures[] = [];
  // The baseline on both sides, so a machine that slows down during the run shows as a spread between the two.
  for (const kind of ['Map', 'SetOrderMap', 'Map']) rows.push(await inChild(kind));
  const baseline = (rows[0]!.setsPerSec + rows[2]!.setsPerSec) / 2;
  process.stdout.write('| window | sets/s | vs Map | slowest batch, ms | after it ran full, ms | batches over 10 ms |\n| --- | --: | --: | --: | --: | --: |\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.kind} | ${r.setsPerSec.toLocaleString('en-US')} | ${(r.setsPerSec / baseline).toFixed(2)} | ${r.slowestBatchMs.toFixed(1)} | ${r.steadySlowestBatchMs.toFixed(1)} | ${r.batchesOver10Ms} |\n`);
  }
}
