import type { ChannelName } from '../domain/channel.js';
import type { FallbackStep, MessageKind, MessagePriority } from '../domain/message.js';
import type { RouteFailureCode, RouteRequest, RouteResult } from './route-types.js';

/**
 * How a batch crosses to a router worker and back: one string each way, with fields separated by
 * U+001F (results: records by U+001E) and list items by U+001D, instead of JSON objects. Building and
 * splitting it costs the main thread a fraction of JSON.stringify/JSON.parse of the same objects
 * (numbers in bench/README.md, "router"), and the hand-off is the main thread's whole share of the
 * work. Text with these separators cannot reach the router (the gateway refuses control
 * characters, and config text is ours), but a batch that holds one anyway goes as JSON ("J"
 * prefix) rather than wrong: the encoder counts the separators it wrote.
 * The optional fallback step is JSON inside its field (JSON escapes control characters).
 */

const FIELD = '\x1f';
const RECORD = '\x1e';
const ITEM = '\x1d';
const COMPACT = 'C';
const AS_JSON = 'J';

/** Fields of one request, in order. */
const REQUEST_FIELDS = 13;

function joinPairs(record: Readonly<Record<string, string>>): string {
  let out = '';
  let first = true;
  for (const key in record) {
    out += first ? `${key}${ITEM}${record[key]}` : `${ITEM}${key}${ITEM}${record[key]}`;
    first = false;
  }
  return out;
}

function splitPairs(text: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  if (text === '') return pairs;
  const items = text.split(ITEM);
  for (let i = 0; i + 1 < items.length; i += 2) pairs[items[i] as string] = items[i + 1] as string;
  return pairs;
}

function splitList(text: string): string[] {
  return text === '' ? [] : text.split(ITEM);
}

/** The task for a worker: the time to route at, then REQUEST_FIELDS fields per request, all separated by FIELD. */
export function encodeRouteTask(nowMs: number, requests: readonly RouteRequest[]): string {
  const parts: string[] = [String(nowMs)];
  for (const r of requests) {
    parts.push(
      r.messageId,
      r.tenant,
      r.templateId,
      r.body,
      r.subject,
      r.kind,
      r.nightConsent ? '1' : '',
      r.channel ?? '',
      r.recipient,
      r.priority,
      r.tags.join(ITEM),
      joinPairs(r.variables),
      r.fallback === undefined ? '' : JSON.stringify(r.fallback),
    );
  }
  const compact = parts.join(FIELD);
  return separatorCount(compact, FIELD) === parts.length - 1 && !hasStrayItems(requests) ? COMPACT + compact : AS_JSON + JSON.stringify({ nowMs, requests });
}

export function decodeRouteTask(payload: string): { nowMs: number; requests: RouteRequest[] } {
  if (payload.startsWith(AS_JSON)) return JSON.parse(payload.slice(1)) as { nowMs: number; requests: RouteRequest[] };
  const f = payload.slice(1).split(FIELD);
  const nowMs = Number(f[0]);
  const count = (f.length - 1) / REQUEST_FIELDS;
  const requests: RouteRequest[] = new Array(count);
  for (let i = 0, a = 1; i < count; i++, a += REQUEST_FIELDS) {
    const channel = f[a + 7] as string;
    const fallback = f[a + 12] as string;
    const request: RouteRequest = {
      messageId: f[a] as string,
      tenant: f[a + 1] as string,
      templateId: f[a + 2] as string,
      body: f[a + 3] as string,
      subject: f[a + 4] as string,
      kind: f[a + 5] as MessageKind,
      nightConsent: f[a + 6] === '1',
      channel: channel === '' ? null : (channel as ChannelName),
      recipient: f[a + 8] as string,
      priority: f[a + 9] as MessagePriority,
      tags: splitList(f[a + 10] as string),
      variables: splitPairs(f[a + 11] as string),
    };
    if (fallback !== '') request.fallback = JSON.parse(fallback) as FallbackStep;
    requests[i] = request;
  }
  return { nowMs, requests };
}

/** The worker's answer: one record per result, its first field the outcome. */
export function encodeRouteResults(results: readonly RouteResult[]): string {
  const records: string[] = new Array(results.length);
  let textHoldsSeparator = false;
  for (let i = 0; i < results.length; i++) {
    const r = results[i] as RouteResult;
    let record: string;
    switch (r.outcome) {
      case 'routed':
        record =
          `r${FIELD}${r.channel}${FIELD}${r.subject}${FIELD}${r.body}${FIELD}${joinPairs(r.attributes)}${FIELD}${r.billableUnits}${FIELD}` +
          `${r.next.join(ITEM)}${FIELD}${r.step}${FIELD}${r.routeName}${FIELD}${r.why}`;
        textHoldsSeparator ||= fieldCountOf(record) !== 9 || attributesHoldItem(r.attributes);
        break;
      case 'failed':
        record = `f${FIELD}${r.code}${FIELD}${r.reason}`;
        textHoldsSeparator ||= fieldCountOf(record) !== 2;
        break;
      case 'deferred':
        record = `d${FIELD}${r.deferUntilMs}${FIELD}${r.reason}`;
        textHoldsSeparator ||= fieldCountOf(record) !== 2;
        break;
    }
    textHoldsSeparator ||= record.includes(RECORD);
    records[i] = record;
  }
  return textHoldsSeparator ? AS_JSON + JSON.stringify(results) : COMPACT + records.join(RECORD);
}

export function decodeRouteResults(payload: string): RouteResult[] {
  if (payload.startsWith(AS_JSON)) return JSON.parse(payload.slice(1)) as RouteResult[];
  if (payload.length === 1) return [];
  const records = payload.slice(1).split(RECORD);
  const results: RouteResult[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const f = (records[i] as string).split(FIELD);
    switch (f[0]) {
      case 'r':
        results[i] = {
          outcome: 'routed',
          channel: f[1] as ChannelName,
          subject: f[2] ?? '',
          body: f[3] ?? '',
          attributes: splitPairs(f[4] ?? ''),
          billableUnits: Number(f[5]),
          next: splitList(f[6] ?? '') as ChannelName[],
          step: Number(f[7]),
          routeName: f[8] ?? '',
          why: f[9] ?? '',
        };
        break;
      case 'f':
        results[i] = { outcome: 'failed', code: f[1] as RouteFailureCode, reason: f[2] ?? '' };
        break;
      default:
        results[i] = { outcome: 'deferred', deferUntilMs: Number(f[1]), reason: f[2] ?? '' };
    }
  }
  return results;
}

/** How many field separators a text holds: more than its layout puts there means some text held one. */
function fieldCountOf(record: string): number {
  let count = 0;
  for (let at = record.indexOf(FIELD); at >= 0; at = record.indexOf(FIELD, at + 1)) count++;
  return count;
}

function separatorCount(text: string, separator: string): number {
  let count = 0;
  for (let at = text.indexOf(separator); at >= 0; at = text.indexOf(separator, at + 1)) count++;
  return count;
}

/** List items and variable pairs are split on ITEM: a tag, variable or attribute holding one would shift them. */
function hasStrayItems(requests: readonly RouteRequest[]): boolean {
  for (const r of requests) {
    for (const tag of r.tags) if (tag.includes(ITEM)) return true;
    if (attributesHoldItem(r.variables)) return true;
  }
  return false;
}

function attributesHoldItem(record: Readonly<Record<string, string>>): boolean {
  for (const key in record) if (key.includes(ITEM) || (record[key] as string).includes(ITEM)) return true;
  return false;
}
