import type { MessageState } from '../domain/message-state.js';
import type { StatusEvent } from '../domain/status-event.js';

/** What many final status records share: all but the times, supplier references and client_ref. */
export interface HistoryShape {
  readonly state: MessageState;
  readonly tenant: string;
  readonly tags: readonly string[];
  /**
   * Where each event's providerRef is, one character per event (see refSourcesOf): '-' none (''),
   * '=' the previous event's (a delivery report names the reference its submit answer gave), '+'
   * its own, written in the record.
   */
  readonly refSources: string;
  /** The events after ACCEPTED, of the first message of this shape; their ids, times and references are not the shape's. */
  readonly events: readonly StatusEvent[];
}

/**
 * The shapes of final status records, each kept once with a count of the records that use it: the
 * memory store keeps up to maxStatusRecords (1,000,000 by default) records, and the messages of
 * one route, supplier and outcome differ only in their times, supplier references and client_refs.
 * A packed record names its shape by index (see status-entry.ts).
 *
 *   shapes: [ shape 0, shape 1, undefined (freed), shape 3, ... ]
 *   keys:   [ shape 0 as text, ... ]; ids: text -> index, for shapes not among the recent
 *   uses:   [ records naming shape 0, ... ]; at 0 the shape is dropped and its index reused
 *   recent: the last few shapes found, compared field by field before any text is built
 *
 * At most `limit` shapes are kept; a new one past that is refused and its record packed whole.
 */
export class HistoryShapes {
  private readonly shapes: (HistoryShape | undefined)[] = [];
  private readonly keys: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly uses: number[] = [];
  private readonly freed: number[] = [];
  private readonly recent: number[] = [];

  constructor(private readonly limit: number) {}

  /** How many shapes are kept. */
  get size(): number {
    return this.ids.size;
  }

  /** The index of the shape of `record`, counting one more record that uses it; -1 when it is new and `limit` shapes are kept. */
  use(record: HistoryShape): number {
    let id: number | undefined;
    for (const r of this.recent) {
      if (sameShape(this.shapes[r]!, record)) {
        id = r;
        break;
      }
    }
    if (id === undefined) {
      const key = shapeKey(record);
      id = this.ids.get(key);
      if (id === undefined) {
        if (this.ids.size >= this.limit) return -1;
        id = this.freed.pop() ?? this.shapes.length;
        this.shapes[id] = { state: record.state, tenant: record.tenant, tags: record.tags, refSources: record.refSources, events: record.events };
        this.keys[id] = key;
        this.uses[id] = 0;
        this.ids.set(key, id);
      }
      this.recent.unshift(id);
      if (this.recent.length > RECENT) this.recent.pop();
    }
    this.uses[id]!++;
    return id;
  }

  /** One record fewer uses shape `id`. */
  release(id: number): void {
    const left = --this.uses[id]!;
    if (left > 0) return;
    this.ids.delete(this.keys[id]!);
    this.shapes[id] = undefined;
    this.keys[id] = '';
    this.freed.push(id);
    const at = this.recent.indexOf(id);
    if (at >= 0) this.recent.splice(at, 1);
  }

  /** Shape `id` (one in use). */
  get(id: number): HistoryShape {
    return this.shapes[id]!;
  }
}

/** Where each event's providerRef is (see HistoryShape.refSources). */
export function refSourcesOf(events: readonly StatusEvent[]): string {
  let sources = '';
  for (let i = 0; i < events.length; i++) {
    const ref = events[i]!.providerRef;
    sources += ref === '' ? '-' : i > 0 && ref === events[i - 1]!.providerRef ? '=' : '+';
  }
  return sources;
}

/** Shapes compared field by field before a lookup by text: mixed traffic alternates between a few. */
const RECENT = 8;

function sameShape(a: HistoryShape, b: HistoryShape): boolean {
  if (a.state !== b.state || a.tenant !== b.tenant || a.refSources !== b.refSources || a.events.length !== b.events.length || a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i]!;
    const y = b.events[i]!;
    if (x.state !== y.state || x.channel !== y.channel || x.providerId !== y.providerId || x.code !== y.code) return false;
    if (x.billableUnits !== y.billableUnits || x.reason !== y.reason || x.why !== y.why) return false;
  }
  return true;
}

function shapeKey(shape: HistoryShape): string {
  // String(billableUnits): JSON would write NaN and Infinity alike.
  const events = shape.events.map((e) => [e.state, e.channel, e.providerId, e.code, String(e.billableUnits), e.reason, e.why === undefined ? null : e.why]);
  return JSON.stringify([shape.state, shape.tenant, shape.tags, shape.refSources, events]);
}
