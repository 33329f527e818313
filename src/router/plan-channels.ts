import type { RouteRule, RoutingTable } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import type { RouteRequest } from './route-types.js';

/** The channels a message will try, in order, and why: the first is the one it is routed to now. */
export interface ChannelPlan {
  readonly channels: readonly ChannelName[];
  /**
   * `channels` after the first: what is left of the chain once this message is routed. Built with
   * the plan, so the many messages that share a plan share this array (frozen: nobody may change it).
   */
  readonly next: readonly ChannelName[];
  /** The matched route's name, or "default" when none matched. */
  readonly routeName: string;
  /** For people, e.g. `route "kakao-first" matched (tenant "shop", kind advertising); chain alimtalk > lms`. */
  readonly why: string;
}

export const DEFAULT_ROUTE_NAME = 'default';

/** Whether every condition the rule gives holds for the message. */
export function matchesRoute(rule: RouteRule, request: Pick<RouteRequest, 'tenant' | 'kind' | 'priority' | 'tags' | 'recipient'>): boolean {
  return (
    (rule.tenants === null || rule.tenants.includes(request.tenant)) &&
    (rule.kinds === null || rule.kinds.includes(request.kind)) &&
    (rule.priorities === null || rule.priorities.includes(request.priority)) &&
    (rule.tags === null || rule.tags.some((tag) => request.tags.includes(tag))) &&
    (rule.countries === null || rule.countries.some((code) => request.recipient.startsWith(code)))
  );
}

/**
 * Decides the channel chain of a message:
 * - a message that fell back continues with the rest of its chain (kept with the message, so a
 *   reload in between does not change a chain already under way);
 * - otherwise the first route that matches gives the chain, starting at the message's own channel
 *   preference when the chain contains it;
 * - when no route matches (or none is configured), the default route: the message's own channel
 *   when it has providers, else routing.defaultChannel (the behaviour before routes existed).
 * Channels without providers (after a reload) are left out; an empty plan means no route.
 */
export function planChannels(routing: RoutingTable, request: RouteRequest): ChannelPlan {
  const fallback = request.fallback;
  if (fallback !== undefined) {
    const channels = fallback.channels.filter((channel) => isCarried(routing, channel));
    const why = `fallback step ${fallback.step} of route "${fallback.routeName}": ${fallback.fromChannel} failed (${fallback.reason}); chain now ${describeChain(channels)}`;
    return createPlan(channels, fallback.routeName, why);
  }
  const rule = findRoute(routing.routes, request);
  if (rule === undefined) {
    const preferred = request.channel !== null && routing.channels[request.channel] !== undefined ? request.channel : null;
    return defaultPlan(routing, preferred ?? routing.defaultChannel, preferred !== null);
  }
  if (request.channel === null) return rulePlan(routing, rule);
  let chain = rule.chain.filter((channel) => isCarried(routing, channel));
  let why = `route "${rule.name}" matched (${describeMatch(rule)})`;
  const start = chain.indexOf(request.channel);
  if (start >= 0) {
    chain = chain.slice(start);
    if (start > 0) why += `; starts at the message's channel "${request.channel}"`;
  } else {
    why += `; the message's channel "${request.channel}" is not in the chain`;
  }
  const skipped = rule.chain.filter((c) => !isCarried(routing, c));
  if (skipped.length > 0) why += `; skipped ${skipped.join(', ')} (no providers)`;
  return createPlan(chain, rule.name, `${why}; chain ${describeChain(chain)}`);
}

/** The first route whose conditions all hold; a plain loop, as this runs for every message. */
function findRoute(routes: readonly RouteRule[], request: RouteRequest): RouteRule | undefined {
  for (const rule of routes) if (matchesRoute(rule, request)) return rule;
  return undefined;
}

function isCarried(routing: RoutingTable, channel: ChannelName): boolean {
  return routing.channels[channel]?.[0] !== undefined;
}

function createPlan(channels: readonly ChannelName[], routeName: string, why: string): ChannelPlan {
  return { channels, next: Object.freeze(channels.slice(1)), routeName, why };
}

/**
 * The plans that do not depend on the message, built once per routing table (a reload brings a new
 * table): most messages take one of these, so routing a batch builds no strings per message.
 */
const defaultPlans = new WeakMap<RoutingTable, { asked: Map<ChannelName, ChannelPlan>; defaulted: Map<ChannelName, ChannelPlan> }>();
const rulePlans = new WeakMap<RouteRule, ChannelPlan>();

function defaultPlan(routing: RoutingTable, channel: ChannelName, asked: boolean): ChannelPlan {
  let cached = defaultPlans.get(routing);
  if (cached === undefined) defaultPlans.set(routing, (cached = { asked: new Map(), defaulted: new Map() }));
  const plans = asked ? cached.asked : cached.defaulted;
  let plan = plans.get(channel);
  if (plan === undefined) {
    const because = routing.routes.length === 0 ? 'no routes are configured' : 'no route matched';
    const why = asked ? `${because}; the message asked for channel "${channel}"` : `${because}; routing.defaultChannel "${channel}"`;
    plan = createPlan(isCarried(routing, channel) ? [channel] : [], DEFAULT_ROUTE_NAME, why);
    plans.set(channel, plan);
  }
  return plan;
}

/** A rule's plan for a message without a channel preference (rules belong to one routing table). */
function rulePlan(routing: RoutingTable, rule: RouteRule): ChannelPlan {
  let plan = rulePlans.get(rule);
  if (plan === undefined) {
    const chain = rule.chain.filter((c) => isCarried(routing, c));
    const skipped = rule.chain.filter((c) => !chain.includes(c));
    const why = `route "${rule.name}" matched (${describeMatch(rule)})${skipped.length > 0 ? `; skipped ${skipped.join(', ')} (no providers)` : ''}; chain ${describeChain(chain)}`;
    plan = createPlan(chain, rule.name, why);
    rulePlans.set(rule, plan);
  }
  return plan;
}

export function describeChain(channels: readonly ChannelName[]): string {
  return channels.length === 0 ? '(empty)' : channels.join(' > ');
}

function describeMatch(rule: RouteRule): string {
  const parts: string[] = [];
  if (rule.tenants !== null) parts.push(`tenant ${rule.tenants.join('|')}`);
  if (rule.kinds !== null) parts.push(`kind ${rule.kinds.join('|')}`);
  if (rule.priorities !== null) parts.push(`priority ${rule.priorities.join('|')}`);
  if (rule.tags !== null) parts.push(`tag ${rule.tags.join('|')}`);
  if (rule.countries !== null) parts.push(`country ${rule.countries.join('|')}`);
  return parts.length === 0 ? 'matches every message' : parts.join(', ');
}
