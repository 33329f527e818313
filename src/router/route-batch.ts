import type { RoutingTable, TemplateDefinition } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { compileTemplate, renderTemplate, type CompiledText } from './compile-template.js';
import { compileTextRules } from './compile-text-rules.js';
import { countBillableUnits } from './korean/count-billable-units.js';
import { decideNightWindow } from './korean/decide-night-window.js';
import { prepareTextMessage } from './korean/prepare-text-message.js';
import { DEFAULT_ROUTE_NAME, planChannels, type ChannelPlan } from './plan-channels.js';
import type { RouteRequest, RouteResult } from './route-types.js';

interface CompiledVariant {
  readonly subject: CompiledText;
  readonly body: CompiledText;
  readonly templateCode: string;
}

/**
 * Routes a batch of messages at `nowMs` (epoch ms, from the caller's clock: the router never reads
 * the time itself): one result per request, same order.
 */
export type BatchRouter = (requests: readonly RouteRequest[], nowMs: number) => RouteResult[];

/**
 * Builds the router for one routing table. Templates are compiled lazily, once per
 * (template, channel) for the life of this table; a config reload builds a new router.
 */
export function createBatchRouter(routing: RoutingTable): BatchRouter {
  const compiled = new Map<string, CompiledVariant>();
  const textRules = compileTextRules(routing.text);

  function variantFor(template: TemplateDefinition, channel: ChannelName): CompiledVariant {
    const key = `${template.id}\u0000${channel}`;
    let variant = compiled.get(key);
    if (variant === undefined) {
      const source = template.variants[channel] ?? template.defaultVariant;
      variant = { subject: compileTemplate(source.subject), body: compileTemplate(source.body), templateCode: source.templateCode };
      compiled.set(key, variant);
    }
    return variant;
  }

  /**
   * What and where first, then when: a message that can never go (unknown template, too long, no
   * advertising identity) fails now instead of waiting out the night to fail at 08:00. The night
   * window is decided on the channel the message actually leaves on (FriendTalk has its own).
   */
  function routeOne(request: RouteRequest, nowMs: number): RouteResult {
    const result = routeContent(request);
    if (result.outcome !== 'routed' || request.kind !== 'advertising') return result;
    const decision = decideNightWindow({ kind: request.kind, channel: result.channel, nightConsent: request.nightConsent }, nowMs, routing.nightBan);
    switch (decision.action) {
      case 'send':
        return result;
      case 'defer':
        return { outcome: 'deferred', deferUntilMs: decision.notBeforeMs, reason: decision.reason };
      case 'reject':
        return { outcome: 'failed', code: decision.code, reason: decision.reason };
    }
  }

  function routeContent(request: RouteRequest): RouteResult {
    const plan = planChannels(routing, request);
    const channel = plan.channels[0];
    if (channel === undefined) {
      const reason = plan.routeName === DEFAULT_ROUTE_NAME ? `no provider carries channel "${request.channel ?? routing.defaultChannel}"` : `no channel of the chain has providers (${plan.why})`;
      return { outcome: 'failed', code: 'NO_ROUTE', reason };
    }
    if (request.templateId === '') return applyChannelRules(request, plan, channel, request.subject, request.body, {});
    const template = routing.templates[request.templateId];
    if (template === undefined) {
      return { outcome: 'failed', code: 'UNKNOWN_TEMPLATE', reason: `template "${request.templateId}" is not configured` };
    }
    const variant = variantFor(template, channel);
    const subject = renderTemplate(variant.subject, request.variables);
    const body = renderTemplate(variant.body, request.variables);
    if ('missing' in subject || 'missing' in body) {
      const missing = 'missing' in subject ? subject.missing : 'missing' in body ? body.missing : '';
      return { outcome: 'failed', code: 'MISSING_VARIABLE', reason: `template "${template.id}" needs variable "${missing}"` };
    }
    const attributes: Record<string, string> = variant.templateCode === '' ? {} : { 'alimtalk.template_code': variant.templateCode };
    return applyChannelRules(request, plan, channel, subject.text, body.text, attributes);
  }

  /** SMS, LMS and MMS text follows the Korean carrier rules, which may move an SMS to LMS. */
  function applyChannelRules(request: RouteRequest, plan: ChannelPlan, channel: ChannelName, subject: string, body: string, attributes: Record<string, string>): RouteResult {
    const chain = { next: plan.channels.slice(1), step: request.fallback?.step ?? 0, routeName: plan.routeName, why: plan.why };
    if (channel !== 'sms' && channel !== 'lms' && channel !== 'mms') {
      return { outcome: 'routed', channel, subject, body, attributes, billableUnits: countBillableUnits(channel), ...chain };
    }
    // A route allows an SMS to grow into an LMS when its chain lists LMS; the default route always did.
    const routeAllowsLms = plan.routeName === DEFAULT_ROUTE_NAME || plan.channels.includes('lms');
    const prepared = prepareTextMessage(
      {
        channel,
        kind: request.kind,
        body,
        subject,
        lmsAllowed: routing.text.lmsFallback && routing.channels.lms !== undefined && routeAllowsLms,
        advertising: routing.advertising[request.tenant] ?? null,
      },
      textRules,
    );
    if (!prepared.ok) return { outcome: 'failed', code: prepared.code, reason: prepared.reason };
    return {
      outcome: 'routed',
      channel: prepared.channel,
      subject: prepared.subject,
      body: prepared.body,
      attributes,
      billableUnits: prepared.billableUnits,
      ...chain,
      // Grown into an LMS: the chain's own LMS step would send the same text again.
      next: prepared.channel === channel ? chain.next : chain.next.filter((c) => c !== prepared.channel),
      why: prepared.channel === channel ? chain.why : `${chain.why}; ${channel} text too long, sent as ${prepared.channel}`,
    };
  }

  return (requests, nowMs) => requests.map((request) => routeOne(request, nowMs));
}
