import type { ChannelProvider, ProviderChoiceSettings } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { fnv1a } from '../domain/fnv1a.js';
import type { ProviderBoard } from './provider-board.js';
import type { ChooseProvider } from './provider-choice.js';
import type { ProviderLiveState } from './provider-connector.js';
import { type Candidate, ChoiceExplanations, PREFERRED_GROUP } from './choice-explanations.js';

export interface ProviderSelectorDeps {
  readonly settings: () => ProviderChoiceSettings;
  readonly board: ProviderBoard;
  /** The connector's live state; undefined when the supplier has no connector (not configured any more). */
  readonly liveState: (providerId: string) => ProviderLiveState | undefined;
}

/**
 * Picks a channel's supplier per message: the lowest priority group with a usable member (not
 * excluded in this pass, not drained, reachable, breaker closed or probing), then inside it either
 * smooth weighted round-robin (nginx's: deterministic, spreads picks in proportion to the effective
 * weights) or, with routing.stickyRecipients, weighted rendezvous hashing of the recipient (the same
 * recipient keeps its supplier while it is usable; only its own recipients move when it is not).
 * Effective weight = configured weight x the supplier's adaptive factor.
 */
export function createProviderSelector(deps: ProviderSelectorDeps): ChooseProvider {
  /** Smooth round-robin counters per channel and group, by provider id. */
  const counters = new Map<string, Map<string, number>>();
  let countersFor: ProviderChoiceSettings | undefined;
  /** Each channel's entries by effective group; rebuilt when the config or an operator state changes. */
  const grouped = new Map<ChannelName, [number, ChannelProvider[]][]>();
  let groupedFor: { settings: ProviderChoiceSettings; version: number } | undefined;
  const explanations = new ChoiceExplanations();

  return (channel, recipient, exclude, dryRun = false) => {
    const settings = deps.settings();
    if (settings !== countersFor) {
      counters.clear(); // a reload may have changed the groups and weights
      explanations.clear();
      countersFor = settings;
    }
    if (groupedFor?.settings !== settings || groupedFor.version !== deps.board.version()) {
      grouped.clear();
      groupedFor = { settings, version: deps.board.version() };
    }
    let groups = grouped.get(channel);
    if (groups === undefined) {
      const entries = settings.channels[channel];
      if (entries === undefined || entries.length === 0) return undefined;
      grouped.set(channel, (groups = groupEntries(entries, deps.board)));
    }
    const skipped: string[] = [];
    for (const [group, members] of groups) {
      const usable: Candidate[] = [];
      for (const entry of members) {
        const reason = unusableReason(entry.providerId, exclude, deps);
        if (reason !== undefined) {
          skipped.push(`${entry.providerId} (${reason})`);
          continue;
        }
        const health = deps.board.health(entry.providerId);
        usable.push({ entry, weight: entry.weight * (health?.weightFactor() ?? 1), breaker: health?.breakerState() ?? 'closed' });
      }
      if (usable.length === 0) continue;
      const groupKey = `${channel}/${group}`;
      const turns = counterFor(counters, groupKey);
      const picked = settings.stickyRecipients ? rendezvous(recipient, usable) : smoothRoundRobin(dryRun ? new Map(turns) : turns, usable);
      if (!dryRun) deps.board.health(picked.entry.providerId)?.notePicked();
      return { providerId: picked.entry.providerId, why: explanations.explain(channel, group, groupKey, settings.stickyRecipients, usable, skipped) };
    }
    return undefined;
  };
}

/** Entries by effective group, lowest first; an operator-preferred supplier goes before all. */
function groupEntries(entries: readonly ChannelProvider[], board: ProviderBoard): [number, ChannelProvider[]][] {
  const groups = new Map<number, ChannelProvider[]>();
  for (const entry of entries) {
    const group = board.operatorState(entry.providerId).preferred ? PREFERRED_GROUP : entry.group;
    let members = groups.get(group);
    if (members === undefined) groups.set(group, (members = []));
    members.push(entry);
  }
  return [...groups].sort(([a], [b]) => a - b);
}

function unusableReason(providerId: string, exclude: ReadonlySet<string>, deps: ProviderSelectorDeps): string | undefined {
  if (exclude.has(providerId)) return 'tried in this pass';
  if (deps.board.operatorState(providerId).drained) return 'drained by an operator';
  const live = deps.liveState(providerId);
  if (live === undefined) return 'no connector';
  if (!live.reachable) return 'unreachable';
  const health = deps.board.health(providerId);
  if (health !== undefined && !health.canTake()) {
    const state = health.breakerState();
    return state === 'open' ? 'breaker open' : 'breaker half-open, probes in flight';
  }
  return undefined;
}

function counterFor(counters: Map<string, Map<string, number>>, groupKey: string): Map<string, number> {
  let counter = counters.get(groupKey);
  if (counter === undefined) counters.set(groupKey, (counter = new Map()));
  return counter;
}

/** nginx's smooth weighted round-robin: each pick adds every weight, takes the largest, and subtracts the total from it. */
function smoothRoundRobin(current: Map<string, number>, usable: readonly Candidate[]): Candidate {
  let total = 0;
  let best: Candidate | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const c of usable) {
    const value = (current.get(c.entry.providerId) ?? 0) + c.weight;
    current.set(c.entry.providerId, value);
    total += c.weight;
    if (value > bestValue) {
      bestValue = value;
      best = c;
    }
  }
  const picked = best as Candidate;
  current.set(picked.entry.providerId, bestValue - total);
  return picked;
}

/** Weighted rendezvous (highest random weight) hashing: score = -weight / ln(hash(recipient, provider)). */
function rendezvous(recipient: string, usable: readonly Candidate[]): Candidate {
  let best = usable[0] as Candidate;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const c of usable) {
    const u = (mixedHash(`${recipient}\u0000${c.entry.providerId}`) + 0.5) / 4_294_967_296;
    const score = -c.weight / Math.log(u);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

function mixedHash(text: string): number {
  let hash = fnv1a(text);
  // murmur3's finaliser: FNV alone leaves the last characters (the provider id's end) in the low bits.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
