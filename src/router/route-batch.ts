import type { RoutingTable, TemplateDefinition } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { compileTemplate, renderTemplate, type CompiledText } from './compile-template.js';
import { compileTextRules } from './compile-text-rules.js';
import { checkVariable } from '../config/variable-types.js';
import { countBillableUnits } from './korean/count-billable-units.js';
import { decideNightWindow } from './korean/decide-night-window.js';
import { prepareTextMessage } from './korean/prepare-text-message.js';
import { DEFAULT_ROUTE_NAME, planChannels, type ChannelPlan } from './plan-channels.js';
import type { RouteRequest, RouteResult } from './route-types.js';

interface CompiledVariant {
  readonly subject: CompiledText;
  readonly body: CompiledText;
  readonly templateCode: string;
  /** Each button's fields that are set, compiled. */
  readonly buttons: readonly (readonly [field: string, text: CompiledText])[][];
  readonly data: readonly (readonly [key: string, text: CompiledText])[];
}

/** Renders every text, or names the first variable without a value. */
function renderAll(texts: readonly (readonly [string, CompiledText])[], variables: Record<string, string>): { values: Record<string, string> } | { missing: string } {
  const values: Record<string, string> = {};
  for (const [key, text] of texts) {
    const rendered = renderTemplate(text, variables);
    if ('missing' in rendered) return rendered;
    values[key] = rendered.text;
  }
  return { values };
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
      variant = {
        subject: compileTemplate(source.subject),
        body: compileTemplate(source.body),
        templateCode: source.templateCode,
        buttons: source.buttons.map((button) => Object.entries(button).flatMap(([field, text]) => (typeof text === 'string' ? [[field, compileTemplate(text)] as const] : []))),
        data: Object.entries(source.data).map(([key, text]) => [key, compileTemplate(text)] as const),
      };
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
    if (decision.action === 'send') return result;
    // A hold of this channel only (FriendTalk's earlier cut) need not hold the message: the next
    // channel of its chain takes it when it may go now. Otherwise it waits for this channel.
    if (result.next.length > 0) {
      const fallback = { channels: result.next, step: result.step + 1, fromChannel: result.channel, reason: decision.reason, routeName: result.routeName };
      const onNext = routeOne({ ...request, fallback }, nowMs);
      if (onNext.outcome === 'routed') return onNext;
    }
    switch (decision.action) {
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
    // Checked at admission too; here for messages accepted under an earlier config.
    for (const name of template.variables) {
      const value = Object.hasOwn(request.variables, name) ? request.variables[name] : undefined;
      if (value === undefined) return { outcome: 'failed', code: 'MISSING_VARIABLE', reason: `template "${template.id}" needs variable "${name}"` };
      const bad = checkVariable(template.variableTypes[name] ?? 'string', value);
      if (bad !== null) return { outcome: 'failed', code: 'INVALID_VARIABLE', reason: `template "${template.id}": variables.${name} ${bad}` };
    }
    for (const name of Object.keys(request.variables)) {
      if (!template.variables.includes(name)) return { outcome: 'failed', code: 'UNKNOWN_VARIABLE', reason: `variable "${name}" is not a variable of template "${template.id}"` };
    }
    const variant = variantFor(template, channel);
    const rendered = renderAll([['subject', variant.subject], ['body', variant.body], ...variant.data.map(([key, text]) => [`data.${key}`, text] as const)], request.variables);
    const buttons: Record<string, string>[] = [];
    for (const button of variant.buttons) {
      const fields = renderAll(button, request.variables);
      if ('missing' in fields) return { outcome: 'failed', code: 'MISSING_VARIABLE', reason: `template "${template.id}" needs variable "${fields.missing}"` };
      buttons.push(fields.values);
    }
    if ('missing' in rendered) return { outcome: 'failed', code: 'MISSING_VARIABLE', reason: `template "${template.id}" needs variable "${rendered.missing}"` };
    const { subject = '', body = '' } = rendered.values;
    const attributes: Record<string, string> = {};
    if (variant.templateCode !== '') attributes['alimtalk.template_code'] = variant.templateCode;
    if (buttons.length > 0) attributes['kakao.buttons'] = JSON.stringify(buttons);
    if (variant.data.length > 0) {
      attributes['push.data'] = JSON.stringify(Object.fromEntries(variant.data.map(([key]) => [key, rendered.values[`data.${key}`] ?? ''])));
    }
    return applyChannelRules(request, plan, channel, subject, body, attributes);
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
