import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoutingTable } from '../../src/config/config.js';
import { createBatchRouter } from '../../src/router/route-batch.js';
import { matchesRoute, planChannels } from '../../src/router/plan-channels.js';
import type { RouteRequest } from '../../src/router/route-types.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';

/** The test config's routing (sms, lms, alimtalk carried) with these routes. */
function routingWith(routes: unknown[], change?: (raw: Record<string, any>) => void): RoutingTable {
  const raw = rawTestConfig({ sms: ['127.0.0.1:1'], alimtalk: '127.0.0.1:2' }) as Record<string, any>;
  raw['routing'].routes = routes;
  change?.(raw);
  return compileTestConfig(raw).routing;
}

function request(fields: Partial<RouteRequest> = {}): RouteRequest {
  return {
    messageId: 'm1',
    tenant: 'tenant-a',
    templateId: 'welcome',
    variables: { name: '김' },
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

const ROUTES = [
  { name: 'ads-sms', match: { kinds: ['advertising'] }, chain: ['sms', 'lms'] },
  { name: 'abroad', match: { countries: ['+1', '+44'] }, chain: ['sms'] },
  { name: 'otp', match: { priorities: ['urgent'], tags: ['otp', 'login'] }, chain: ['sms'] },
  { name: 'bank-kakao', match: { tenants: ['tenant-a'] }, chain: ['alimtalk', 'lms'] },
];

test('the first route whose every condition holds gives the chain', () => {
  const routing = routingWith(ROUTES);
  const cases: [Partial<RouteRequest>, string, string[]][] = [
    [{ kind: 'advertising' }, 'ads-sms', ['sms', 'lms']],
    [{ recipient: '+14155550100' }, 'abroad', ['sms']],
    [{ recipient: '+447700900000', kind: 'advertising' }, 'ads-sms', ['sms', 'lms']],
    [{ priority: 'urgent', tags: ['login'] }, 'otp', ['sms']],
    // Both conditions of "otp" must hold: urgent alone, or the tag alone, is not enough.
    [{ priority: 'urgent' }, 'bank-kakao', ['alimtalk', 'lms']],
    [{ tags: ['otp'] }, 'bank-kakao', ['alimtalk', 'lms']],
    [{ tenant: 'tenant-b' }, 'default', ['sms']],
  ];
  for (const [fields, routeName, channels] of cases) {
    const plan = planChannels(routing, request(fields));
    assert.equal(plan.routeName, routeName, JSON.stringify(fields));
    assert.deepEqual(plan.channels, channels, JSON.stringify(fields));
  }
});

test('a route without conditions matches every message; a country matches as the recipient prefix', () => {
  const rule = { name: 'all', tenants: null, kinds: null, priorities: null, tags: null, countries: null, chain: ['sms' as const] };
  assert.equal(matchesRoute(rule, request()), true);
  assert.equal(matchesRoute({ ...rule, countries: ['+82'] }, request({ recipient: '+821012345678' })), true);
  assert.equal(matchesRoute({ ...rule, countries: ['+8'] }, request({ recipient: '+14155550100' })), false);
});

test("the message's own channel starts the chain there when the chain has it, and is ignored otherwise", () => {
  const routing = routingWith(ROUTES);
  const starts = planChannels(routing, request({ channel: 'lms' }));
  assert.deepEqual(starts.channels, ['lms']);
  assert.match(starts.why, /starts at the message's channel "lms"/);
  const ignored = planChannels(routing, request({ channel: 'sms' }));
  assert.deepEqual(ignored.channels, ['alimtalk', 'lms']);
  assert.match(ignored.why, /the message's channel "sms" is not in the chain/);
});

test('without routes a message goes on its own channel when it has providers, else routing.defaultChannel (as before routes)', () => {
  const routing = routingWith([]);
  assert.deepEqual(planChannels(routing, request()).channels, ['sms']);
  assert.deepEqual(planChannels(routing, request({ channel: 'alimtalk' })).channels, ['alimtalk']);
  assert.deepEqual(planChannels(routing, request({ channel: 'push' })).channels, ['sms']);
  assert.match(planChannels(routing, request()).why, /no routes are configured; routing.defaultChannel "sms"/);
});

test('a message that fell back continues with the rest of the chain it carries, whatever the routes say now', () => {
  const routing = routingWith([{ name: 'moved', chain: ['sms'] }]);
  const plan = planChannels(routing, request({ fallback: { channels: ['lms'], step: 1, fromChannel: 'alimtalk', reason: 'NO_KAKAOTALK: gone', routeName: 'bank-kakao' } }));
  assert.deepEqual(plan.channels, ['lms']);
  assert.equal(plan.routeName, 'bank-kakao');
  assert.match(plan.why, /^fallback step 1 of route "bank-kakao": alimtalk failed \(NO_KAKAOTALK: gone\)/);
});

test('the router renders the chain step with that channel\'s template variant and says what is left of the chain', () => {
  const route = createBatchRouter(routingWith(ROUTES));
  const [first] = route([request()], Date.UTC(2026, 0, 5, 3));
  assert.equal(first?.outcome, 'routed');
  if (first?.outcome !== 'routed') return;
  assert.deepEqual([first.channel, first.body, first.attributes['alimtalk.template_code'], first.next, first.step, first.routeName], ['alimtalk', '김님 (알림톡)', 'WELCOME_001', ['lms'], 0, 'bank-kakao']);

  const [fallback] = route([request({ fallback: { channels: ['lms'], step: 1, fromChannel: 'alimtalk', reason: 'x', routeName: 'bank-kakao' } })], Date.UTC(2026, 0, 5, 3));
  assert.equal(fallback?.outcome, 'routed');
  if (fallback?.outcome !== 'routed') return;
  assert.deepEqual([fallback.channel, fallback.body, fallback.attributes, fallback.next, fallback.step], ['lms', '김님, 환영합니다.', {}, [], 1]);
});

test('advertising rules are applied again on the fallback channel: header, opt-out line and byte limits', () => {
  const route = createBatchRouter(routingWith([{ name: 'ads', match: { kinds: ['advertising'] }, chain: ['alimtalk', 'sms'] }]));
  const step = { channels: ['sms' as const], step: 1, fromChannel: 'alimtalk' as const, reason: 'x', routeName: 'ads' };
  const [short] = route([request({ kind: 'advertising', nightConsent: true, fallback: step })], Date.UTC(2026, 0, 5, 3));
  assert.equal(short?.outcome, 'routed');
  if (short?.outcome === 'routed') {
    assert.equal(short.channel, 'sms');
    assert.match(short.body, /^\(광고\)스위치은행/);
    assert.match(short.body, /무료수신거부 080-123-4567$/);
  }
  // The chain lists SMS but not LMS: a text past 90 bytes is refused with its byte count, not grown into an LMS.
  const [long] = route([request({ templateId: '', body: '가'.repeat(60), kind: 'advertising', nightConsent: true, fallback: step })], Date.UTC(2026, 0, 5, 3));
  assert.equal(long?.outcome, 'failed');
  if (long?.outcome === 'failed') assert.equal(long.code, 'BODY_TOO_LONG');
});

test('an SMS grown into an LMS does not try LMS again as its next step', () => {
  const route = createBatchRouter(routingWith([{ name: 'text', chain: ['sms', 'lms'] }]));
  const [result] = route([request({ templateId: '', body: '가'.repeat(60) })], Date.UTC(2026, 0, 5, 3));
  assert.equal(result?.outcome, 'routed');
  if (result?.outcome === 'routed') assert.deepEqual([result.channel, result.next], ['lms', []]);
});
