import type { ChannelProvider } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';

/** A usable supplier as the selector saw it at one pick. */
export interface Candidate {
  readonly entry: ChannelProvider;
  /** Configured weight x the supplier's adaptive factor. */
  readonly weight: number;
  readonly breaker: string;
}

interface Explained {
  sticky: boolean;
  candidates: Candidate[];
  skipped: string[];
  text: string;
}

/**
 * The `why` of each pick, one string per channel and group that is reused while what it says is
 * unchanged. Every message's history keeps its pick's why, and nearly every pick in a batch says
 * the same thing: formatting it per message cost a map, a join and several templates, and kept a
 * separate copy per message in memory.
 */
export class ChoiceExplanations {
  private readonly last = new Map<string, Explained>();

  explain(channel: ChannelName, group: number, groupKey: string, sticky: boolean, usable: readonly Candidate[], skipped: readonly string[]): string {
    const known = this.last.get(groupKey);
    if (known !== undefined && sameInputs(known, sticky, usable, skipped)) return known.text;
    const text = formatWhy(channel, group, sticky, usable, skipped);
    this.last.set(groupKey, { sticky, candidates: [...usable], skipped: [...skipped], text });
    return text;
  }

  clear(): void {
    this.last.clear();
  }
}

/** The group an operator's "prefer" puts a supplier in: before every configured group. */
export const PREFERRED_GROUP = -1;

function sameInputs(known: Explained, sticky: boolean, usable: readonly Candidate[], skipped: readonly string[]): boolean {
  if (known.sticky !== sticky || known.candidates.length !== usable.length || known.skipped.length !== skipped.length) return false;
  for (let i = 0; i < usable.length; i++) {
    const a = known.candidates[i] as Candidate;
    const b = usable[i] as Candidate;
    if (a.entry !== b.entry || a.weight !== b.weight || a.breaker !== b.breaker) return false;
  }
  for (let i = 0; i < skipped.length; i++) if (known.skipped[i] !== skipped[i]) return false;
  return true;
}

function formatWhy(channel: ChannelName, group: number, sticky: boolean, usable: readonly Candidate[], skipped: readonly string[]): string {
  const groupName = group === PREFERRED_GROUP ? 'operator-preferred' : `priority group ${group}`;
  const rule = sticky ? 'recipient hash over weights' : 'weighted round-robin over';
  const weights = usable
    .map((c) => {
      const state = c.breaker;
      const weight = c.weight === c.entry.weight ? `${c.entry.weight}` : `${c.entry.weight}x${round(c.weight / c.entry.weight)}=${round(c.weight)}`;
      return `${c.entry.providerId} weight ${weight}${state === 'closed' ? '' : ` (${state})`}`;
    })
    .join(', ');
  const rest = skipped.length === 0 ? '' : `; skipped ${skipped.join(', ')}`;
  return `channel "${channel}" ${groupName}: ${rule} ${weights}${rest}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
