import type { RoutingTable, TemplateDefinition } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { compileTemplate, findMissingVariable, renderTemplateText, type CompiledText } from './compile-template.js';
import { compileTextRules } from './compile-text-rules.js';
import { checkVariable, type VariableType } from '../config/variable-types.js';
import { countBillableUnits } from './korean/count-billable-units.js';
import { decideNightWindow } from './korean/decide-night-window.js';
import { plainEucKrByteLength } from './korean/plain-euc-kr-byte-length.js';
import { prepareTextMessage } from './korean/prepare-text-message.js';
import { DEFAULT_ROUTE_NAME, planChannels, type ChannelPlan } from './plan-channels.js';
import type { RouteFailure, RouteRequest, RouteResult } from './route-types.js';

/** A template's checks and its channel variants, compiled once per router (a reload builds a new router). */
interface CompiledTemplate {
  /** Each declared variable with its type, in declared order (the order its checks report in). */
  readonly variables: readonly (readonly [name: string, type: VariableType])[];
  /** The declared names, which a message's variables must be among. */
  readonly names: readonly string[];
  /** Compiled on first use, per channel. */
  readonly variants: Map<ChannelName, CompiledVariant>;
}

interface CompiledVariant {
  readonly subject: CompiledText;
  readonly body: CompiledText;
  readonly templateCode: string;
  /** Each button's fields that are set, compiled. */
  readonly buttons: readonly (readonly [field: string, text: CompiledText])[][];
  readonly data: readonly (readonly [key: string, text: CompiledText])[];
  /**
   * The attributes of a variant without buttons or data, which hold no variable: one frozen object
   * that every message of the variant shares. null when they are rendered per message.
   */
  readonly fixedAttributes: Readonly<Record<string, string>> | null;
  /**
   * The EUC-KR bytes of the body's literals when they are all plain (plainEucKrByteLength), else
   * -1: a message then counts only its values to know its body's length (bodyPlainBytes).
   */
  readonly bodyLiteralBytes: number;
}

/** What an SMS grown into an LMS says instead of its plan's next and why. */
interface LmsUpgrade {
  readonly next: readonly ChannelName[];
  readonly why: string;
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

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
  const templates = new Map<TemplateDefinition, CompiledTemplate>();
  const textRules = compileTextRules(routing.text);
  // Whether an SMS may grow into an LMS at all; the route decides the rest (applyChannelRules).
  const lmsFallback = routing.text.lmsFallback && routing.channels.lms !== undefined;
  // Plans are shared by the messages of a route (plan-channels.ts caches them), and so is this; the
  // entry of a one-message plan (a fallback step) goes with its plan.
  const lmsUpgrades = new WeakMap<ChannelPlan, LmsUpgrade>();

  function templateFor(template: TemplateDefinition): CompiledTemplate {
    let compiled = templates.get(template);
    if (compiled === undefined) {
      compiled = {
        variables: template.variables.map((name) => [name, template.variableTypes[name] ?? 'string'] as const),
        names: template.variables,
        variants: new Map(),
      };
      templates.set(template, compiled);
    }
    return compiled;
  }

  function variantFor(template: TemplateDefinition, compiled: CompiledTemplate, channel: ChannelName): CompiledVariant {
    let variant = compiled.variants.get(channel);
    if (variant === undefined) {
      const source = template.variants[channel] ?? template.defaultVariant;
      const buttons = source.buttons.map((button) => Object.entries(button).flatMap(([field, text]) => (typeof text === 'string' ? [[field, compileTemplate(text)] as const] : [])));
      const data = Object.entries(source.data).map(([key, text]) => [key, compileTemplate(text)] as const);
      const fixed = source.templateCode === '' ? NO_ATTRIBUTES : Object.freeze({ 'alimtalk.template_code': source.templateCode });
      const body = compileTemplate(source.body);
      variant = {
        subject: compileTemplate(source.subject),
        body,
        templateCode: source.templateCode,
        buttons,
        data,
        fixedAttributes: buttons.length === 0 && data.length === 0 ? fixed : null,
        bodyLiteralBytes: sumPlainBytes(body.literals, textRules.unencodable.strictKsX1001),
      };
      compiled.variants.set(channel, variant);
    }
    return variant;
  }

  function lmsUpgradeOf(plan: ChannelPlan, channel: ChannelName): LmsUpgrade {
    let upgrade = lmsUpgrades.get(plan);
    if (upgrade === undefined) {
      // Grown into an LMS: the chain's own LMS step would send the same text again.
      upgrade = { next: Object.freeze(plan.next.filter((c) => c !== 'lms')), why: `${plan.why}; ${channel} text too long, sent as lms` };
      lmsUpgrades.set(plan, upgrade);
    }
    return upgrade;
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
    if (request.templateId === '') return applyChannelRules(request, plan, channel, request.subject, request.body, -1, NO_ATTRIBUTES);
    const template = routing.templates[request.templateId];
    if (template === undefined) {
      return { outcome: 'failed', code: 'UNKNOWN_TEMPLATE', reason: `template "${request.templateId}" is not configured` };
    }
    const compiled = templateFor(template);
    const variables = request.variables;
    const invalid = checkVariables(template.id, compiled, variables);
    if (invalid !== null) return invalid;
    const variant = variantFor(template, compiled, channel);
    const subject = renderTemplateText(variant.subject, variables);
    const body = renderTemplateText(variant.body, variables);
    if (variant.fixedAttributes !== null && subject !== undefined && body !== undefined) {
      return applyChannelRules(request, plan, channel, subject, body, bodyPlainBytes(variant, variables), variant.fixedAttributes);
    }
    // Buttons or data to render too, or a variable missing: the order below decides which missing
    // variable is named (buttons first, then subject, body and data).
    const buttons: Record<string, string>[] = [];
    for (const button of variant.buttons) {
      const fields: Record<string, string> = {};
      for (const [field, text] of button) {
        const value = renderTemplateText(text, variables);
        if (value === undefined) return missingVariable(template.id, findMissingVariable(text, variables));
        fields[field] = value;
      }
      buttons.push(fields);
    }
    if (subject === undefined) return missingVariable(template.id, findMissingVariable(variant.subject, variables));
    if (body === undefined) return missingVariable(template.id, findMissingVariable(variant.body, variables));
    const data: Record<string, string> = {};
    for (const [key, text] of variant.data) {
      const value = renderTemplateText(text, variables);
      if (value === undefined) return missingVariable(template.id, findMissingVariable(text, variables));
      data[key] = value;
    }
    const attributes: Record<string, string> = {};
    if (variant.templateCode !== '') attributes['alimtalk.template_code'] = variant.templateCode;
    if (buttons.length > 0) attributes['kakao.buttons'] = JSON.stringify(buttons);
    if (variant.data.length > 0) attributes['push.data'] = JSON.stringify(data);
    return applyChannelRules(request, plan, channel, subject, body, bodyPlainBytes(variant, variables), attributes);
  }

  /** SMS, LMS and MMS text follows the Korean carrier rules, which may move an SMS to LMS. */
  function applyChannelRules(
    request: RouteRequest,
    plan: ChannelPlan,
    channel: ChannelName,
    subject: string,
    body: string,
    plainBodyBytes: number,
    attributes: Readonly<Record<string, string>>,
  ): RouteResult {
    const step = request.fallback === undefined ? 0 : request.fallback.step;
    if (channel !== 'sms' && channel !== 'lms' && channel !== 'mms') {
      return routed(channel, subject, body, attributes, countBillableUnits(channel), plan.next, step, plan.routeName, plan.why);
    }
    // A route allows an SMS to grow into an LMS when its chain lists LMS; the default route always did.
    const routeAllowsLms = plan.routeName === DEFAULT_ROUTE_NAME || plan.channels.includes('lms');
    const prepared = prepareTextMessage(
      {
        channel,
        kind: request.kind,
        body,
        plainBodyBytes,
        subject,
        lmsAllowed: lmsFallback && routeAllowsLms,
        advertising: request.kind === 'advertising' ? (routing.advertising[request.tenant] ?? null) : null,
      },
      textRules,
    );
    if (!prepared.ok) return { outcome: 'failed', code: prepared.code, reason: prepared.reason };
    if (prepared.channel === channel) {
      return routed(channel, prepared.subject, prepared.body, attributes, prepared.billableUnits, plan.next, step, plan.routeName, plan.why);
    }
    const upgrade = lmsUpgradeOf(plan, channel);
    return routed(prepared.channel, prepared.subject, prepared.body, attributes, prepared.billableUnits, upgrade.next, step, plan.routeName, upgrade.why);
  }

  /**
   * A rendered body's EUC-KR bytes when it is plain: its literals' count from compile time plus its
   * values' (only they are scanned); -1 when it is not plain, and the text rules take the full path.
   */
  function bodyPlainBytes(variant: CompiledVariant, variables: Record<string, string>): number {
    if (variant.bodyLiteralBytes < 0) return -1;
    let bytes = variant.bodyLiteralBytes;
    for (const name of variant.body.names) {
      const valueBytes = plainEucKrByteLength(variables[name] ?? '', textRules.unencodable.strictKsX1001);
      if (valueBytes < 0) return -1;
      bytes += valueBytes;
    }
    return bytes;
  }

  return (requests, nowMs) => {
    const results: RouteResult[] = new Array(requests.length);
    for (let i = 0; i < requests.length; i++) results[i] = routeOne(requests[i] as RouteRequest, nowMs);
    return results;
  };
}

/** Checked at admission too; here for messages accepted under an earlier config. */
function checkVariables(templateId: string, compiled: CompiledTemplate, variables: Record<string, string>): RouteFailure | null {
  for (const [name, type] of compiled.variables) {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) return missingVariable(templateId, name);
    const bad = checkVariable(type, value);
    if (bad !== null) return { outcome: 'failed', code: 'INVALID_VARIABLE', reason: `template "${templateId}": variables.${name} ${bad}` };
  }
  // for...in with an own-key test visits what Object.keys lists, in its order, without building the
  // array; the own-key test runs only for a name that is not declared, which is rare.
  for (const name in variables) {
    if (!compiled.names.includes(name) && Object.hasOwn(variables, name)) {
      return { outcome: 'failed', code: 'UNKNOWN_VARIABLE', reason: `variable "${name}" is not a variable of template "${templateId}"` };
    }
  }
  return null;
}

/** The EUC-KR bytes of texts that are all plain, or -1. */
function sumPlainBytes(texts: readonly string[], strictKsX1001: boolean): number {
  let bytes = 0;
  for (const text of texts) {
    const textBytes = plainEucKrByteLength(text, strictKsX1001);
    if (textBytes < 0) return -1;
    bytes += textBytes;
  }
  return bytes;
}

function missingVariable(templateId: string, name: string): RouteFailure {
  return { outcome: 'failed', code: 'MISSING_VARIABLE', reason: `template "${templateId}" needs variable "${name}"` };
}

/**
 * One routed result, every field set in one literal so that all results share one shape. next and
 * attributes may be shared with other results (frozen): readers never change them.
 */
function routed(
  channel: ChannelName,
  subject: string,
  body: string,
  attributes: Readonly<Record<string, string>>,
  billableUnits: number,
  next: readonly ChannelName[],
  step: number,
  routeName: string,
  why: string,
): RouteResult {
  return { outcome: 'routed', channel, subject, body, attributes: attributes as Record<string, string>, billableUnits, next: next as ChannelName[], step, routeName, why };
}
