// Pins the router's whole answer (body, subject, billable units, codes, reasons, why, and the key
// order of the result objects) for representative messages, so that work on the router's speed
// cannot change a byte of what it says. Each batch is routed twice: the second time through the
// caches (compiled templates, shared plans) that the first one filled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoutingTable } from '../../src/config/config.js';
import { createBatchRouter } from '../../src/router/route-batch.js';
import type { RouteRequest, RouteResult } from '../../src/router/route-types.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';

/** The test config (sms, lms, alimtalk carried) with the bench's card-approval template. */
function routingWith(change?: (raw: Record<string, any>) => void): RoutingTable {
  const raw = rawTestConfig({ sms: ['127.0.0.1:1'], alimtalk: '127.0.0.1:2' }) as Record<string, any>;
  raw['templates'].push({ id: 'alert', variables: ['name', { name: 'amount', type: 'amount' }], body: '[카드승인] {{name}}님 {{amount}}원 승인' });
  raw['templates'].push({ id: 'notice', variables: ['name'], body: '※ {{name}}님 ①번 안내' });
  change?.(raw);
  return compileTestConfig(raw).routing;
}

function request(fields: Partial<RouteRequest> = {}): RouteRequest {
  return {
    messageId: 'm1',
    tenant: 'tenant-a',
    templateId: '',
    variables: {},
    body: '',
    subject: '',
    kind: 'informational',
    nightConsent: false,
    channel: null,
    recipient: '+821012345678',
    priority: 'normal',
    tags: [],
    ...fields,
  };
}

const alert = (fields: Partial<RouteRequest> = {}): RouteRequest => request({ templateId: 'alert', variables: { name: '김철수', amount: '12,000' }, ...fields });

const NOON_KST = Date.UTC(2026, 0, 5, 3);
const NIGHT_KST = Date.UTC(2026, 0, 5, 12, 30);
const DEFAULT_WHY = 'no routes are configured; routing.defaultChannel "sms"';
const OPT_OUT = '무료수신거부 080-123-4567';

/** A routed result with every field in the router's order; unnamed fields take the common values. */
function routed(
  channel: string,
  body: string,
  fields: { subject?: string; attributes?: Record<string, string>; next?: string[]; routeName?: string; why?: string } = {},
): RouteResult {
  return {
    outcome: 'routed',
    channel,
    subject: fields.subject ?? '',
    body,
    attributes: fields.attributes ?? {},
    billableUnits: 1,
    next: fields.next ?? [],
    step: 0,
    routeName: fields.routeName ?? 'default',
    why: fields.why ?? DEFAULT_WHY,
  } as RouteResult;
}

function failed(code: string, reason: string): RouteResult {
  return { outcome: 'failed', code, reason } as RouteResult;
}

function assertRoutes(routing: RoutingTable, requests: RouteRequest[], nowMs: number, expected: RouteResult[]): void {
  const route = createBatchRouter(routing);
  for (const pass of ['first', 'cached']) {
    const results = route(requests, nowMs);
    assert.deepEqual(results, expected, pass);
    // Same keys in the same order: results are serialised (worker hand-off, JSON fallback, history).
    assert.equal(JSON.stringify(results), JSON.stringify(expected), pass);
  }
}

test('a templated SMS renders and fits; variable problems are named', () => {
  assertRoutes(
    routingWith(),
    [
      alert(),
      alert({ variables: { name: 'Kim', amount: '12.5' } }),
      alert({ variables: { name: 'Kim' } }),
      alert({ variables: { name: 'Kim', amount: '1', coupon: 'x' } }),
      alert({ templateId: 'nope' }),
    ],
    NOON_KST,
    [
      routed('sms', '[카드승인] 김철수님 12,000원 승인'),
      failed('INVALID_VARIABLE', 'template "alert": variables.amount must be an amount in whole won, e.g. "12000" or "12,000"; got "12.5"'),
      failed('MISSING_VARIABLE', 'template "alert" needs variable "amount"'),
      failed('UNKNOWN_VARIABLE', 'variable "coupon" is not a variable of template "alert"'),
      failed('UNKNOWN_TEMPLATE', 'template "nope" is not configured'),
    ],
  );
});

test('a template counts its literals once and its values per message, and takes the full rules when either needs them', () => {
  // The card-approval literals are 21 bytes, the amount 6: a name of 63 bytes makes 90 (SMS), 64 makes 91 (LMS).
  assertRoutes(
    routingWith(),
    [
      alert({ variables: { name: `${'가'.repeat(31)}a`, amount: '12,000' } }),
      alert({ variables: { name: '가'.repeat(32), amount: '12,000' } }),
      alert({ variables: { name: '김철수😀', amount: '12,000' } }),
      alert({ variables: { name: '\u1100\u1161\u11a8', amount: '12,000' } }),
      request({ templateId: 'notice', variables: { name: '김철수' } }),
      request({ templateId: 'notice', variables: { name: '가'.repeat(40) } }),
    ],
    NOON_KST,
    [
      routed('sms', `[카드승인] ${'가'.repeat(31)}a님 12,000원 승인`),
      routed('lms', `[카드승인] ${'가'.repeat(32)}님 12,000원 승인`, { why: `${DEFAULT_WHY}; sms text too long, sent as lms` }),
      failed('UNENCODABLE_CHARACTERS', 'body has 1 character EUC-KR cannot encode: U+1F600 at 10'),
      routed('sms', '[카드승인] 각님 12,000원 승인'),
      routed('sms', '※ 김철수님 ①번 안내'),
      routed('lms', `※ ${'가'.repeat(40)}님 ①번 안내`, { why: `${DEFAULT_WHY}; sms text too long, sent as lms` }),
    ],
  );
});

test('EUC-KR bytes decide SMS or LMS, and the LMS limits', () => {
  assertRoutes(
    routingWith(),
    [request({ body: '가'.repeat(45) }), request({ body: '가'.repeat(46), subject: '안내' }), request({ body: '가'.repeat(1001) }), request({ body: '가', subject: '제목'.repeat(11), channel: 'lms' })],
    NOON_KST,
    [
      routed('sms', '가'.repeat(45)),
      routed('lms', '가'.repeat(46), { subject: '안내', why: `${DEFAULT_WHY}; sms text too long, sent as lms` }),
      failed('BODY_TOO_LONG', 'body is 2002 bytes in EUC-KR; LMS allows 2000'),
      failed('SUBJECT_TOO_LONG', 'subject is 44 bytes in EUC-KR; LMS allows 40'),
    ],
  );
  // On a route's chain, the SMS grown into an LMS leaves the chain's LMS step out of next.
  const why = 'route "text" matched (matches every message); chain sms > lms';
  assertRoutes(
    routingWith((raw) => {
      raw['routing'].routes = [{ name: 'text', chain: ['sms', 'lms'] }];
    }),
    [request({ body: '가'.repeat(46) }), request({ body: '짧은 안내' })],
    NOON_KST,
    [routed('lms', '가'.repeat(46), { routeName: 'text', why: `${why}; sms text too long, sent as lms` }), routed('sms', '짧은 안내', { routeName: 'text', next: ['lms'], why })],
  );
});

test('unencodable characters are refused, NFD Hangul is composed, an SMS ignores its subject', () => {
  assertRoutes(
    routingWith(),
    [
      request({ body: '안녕 😀 하세요\u00a0!' }),
      request({ body: '\u1100\u1161\u11a8 NFD' }),
      request({ body: 'ok', subject: '😀' }),
      request({ body: 'ok', subject: '😀', channel: 'lms' }),
      request({ body: '똠방각하' }),
    ],
    NOON_KST,
    [
      failed('UNENCODABLE_CHARACTERS', 'body has 1 character EUC-KR cannot encode: U+1F600 at 3'),
      routed('sms', '각 NFD'),
      routed('sms', 'ok'),
      failed('UNENCODABLE_CHARACTERS', 'subject has 1 character EUC-KR cannot encode: U+1F600 at 0'),
      routed('sms', '똠방각하'),
    ],
  );
});

test('"replace" replaces per grapheme and folds look-alikes; strict KS X 1001 refuses CP949-only syllables', () => {
  assertRoutes(
    routingWith((raw) => {
      raw['routing'].text = { unencodable: 'replace' };
    }),
    [request({ body: '안녕 😀\u{1F468}\u200D\u{1F469} 하세요\u00a0– ₩1,000' })],
    NOON_KST,
    [routed('sms', '안녕 ?? 하세요 - ￦1,000')],
  );
  assertRoutes(
    routingWith((raw) => {
      raw['routing'].text = { strictKsX1001: true };
    }),
    [request({ body: '똠방각하' }), request({ body: '가나다' })],
    NOON_KST,
    [failed('UNENCODABLE_CHARACTERS', 'body has 1 character outside KS X 1001 (strict EUC-KR): U+B620 at 0'), routed('sms', '가나다')],
  );
});

test('advertising gets its header and opt-out line once, counted in the bytes', () => {
  assertRoutes(
    routingWith(),
    [
      request({ kind: 'advertising', body: '가을 적금 특판 안내' }),
      request({ kind: 'advertising', body: `(광고)스위치은행\n이미 표시\n${OPT_OUT}` }),
      request({ kind: 'advertising', tenant: 'tenant-b', body: '특판' }),
      request({ kind: 'advertising', body: '특판 '.repeat(20) }),
    ],
    NOON_KST,
    [
      routed('sms', `(광고)스위치은행\n가을 적금 특판 안내\n${OPT_OUT}`),
      routed('sms', `(광고)스위치은행\n이미 표시\n${OPT_OUT}`),
      failed('AD_SETTINGS_MISSING', 'advertising needs a sender name after "(광고)", and the tenant has none configured'),
      routed('lms', `(광고)스위치은행\n${'특판 '.repeat(19)}특판\n${OPT_OUT}`, { why: `${DEFAULT_WHY}; sms text too long, sent as lms` }),
    ],
  );
});

test('the night window defers or refuses advertising without night consent', () => {
  assertRoutes(
    routingWith(),
    [request({ kind: 'advertising', body: '특판' }), request({ kind: 'advertising', body: '특판', nightConsent: true }), request({ body: '알림' })],
    NIGHT_KST,
    [
      { outcome: 'deferred', deferUntilMs: Date.UTC(2026, 0, 5, 23), reason: 'advertising is not sent between 21:00 and 08:00 KST without night-time consent; deferred to 08:00 KST' },
      routed('sms', `(광고)스위치은행\n특판\n${OPT_OUT}`),
      routed('sms', '알림'),
    ],
  );
  assertRoutes(
    routingWith((raw) => {
      raw['routing'].nightBan = { mode: 'reject' };
    }),
    [request({ kind: 'advertising', body: '특판' })],
    NIGHT_KST,
    [failed('AD_NIGHT_BAN', 'advertising is not sent between 21:00 and 08:00 KST without night-time consent; send it again from 08:00 KST')],
  );
});

test("AlimTalk takes the template's AlimTalk variant and code; SMS the default text", () => {
  assertRoutes(
    routingWith(),
    [request({ templateId: 'welcome', variables: { name: '김철수' }, channel: 'alimtalk' }), request({ templateId: 'welcome', variables: { name: '김철수' } })],
    NOON_KST,
    [
      routed('alimtalk', '김철수님 (알림톡)', { attributes: { 'alimtalk.template_code': 'WELCOME_001' }, why: 'no routes are configured; the message asked for channel "alimtalk"' }),
      routed('sms', '김철수님, 환영합니다.'),
    ],
  );
});
