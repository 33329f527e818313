import type { RouteRule, RoutingTable } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import type { RouteRequest } from './route-types.js';

/** The channels a message will try, in order, and why: the first is the one it is routed to now. */
export interface ChannelPlan {
  readonly channels: readonly ChannelName[];
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
  const carried = (channel: ChannelName): boolean => routing.channels[channel]?.[0] !== undefined;
  const fallback = request.fallback;
  if (fallback !== undefined) {
    const channels = fallback.channels.filter(carried);
    const why = `fallback step ${fallback.step} of route "${fallback.routeName}": ${fallback.fromChannel} failed (${fallback.reason}); chain now ${describeChain(channels)}`;
    return { channels, routeName: fallback.routeName, why };
  }
  const rule = routing.routes.find((r) => matchesRoute(r, request));
  if (rule === undefined) {
    const preferred = request.channel !== null && routing.channels[request.channel] !== undefined ? request.channel : null;
    const channel = preferred ?? routing.defaultChannel;
    const because = routing.routes.length === 0 ? 'no routes are configured' : 'no route matched';
    const why = preferred !== null ? `${because}; the message asked for channel "${channel}"` : `${because}; routing.defaultChannel "${channel}"`;
    return { channels: [channel].filter(carried), routeName: DEFAULT_ROUTE_NAME, why };
  }
  let chain = rule.chain.filter(carried);
  let why = `route "${rule.name}" matched (${describeMatch(rule)})`;
  if (request.channel !== null) {
    const start = chain.indexOf(request.channel);
    if (start >= 0) {
      chain = chain.slice(start);
      if (start > 0) why += `; starts at the message's channel "${request.channel}"`;
    } else {
      why += `; the message's channel "${request.channel}" is not in the chain`;
    }
  }
  const skipped = rule.chain.filter((c) => !carried(c));
  if (skipped.length > 0) why += `; skipped ${skipped.join(', ')} (no providers)`;
  return { channels: chain, routeName: rule.name, why: `${why}; chain ${describeChain(chain)}` };
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
