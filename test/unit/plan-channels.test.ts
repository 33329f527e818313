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

test('template variants render every text: AlimTalk buttons, push title and data; typed variables are checked', () => {
  const routing = routingWith([], (raw) => {
    raw['templates'].push({
      id: 'order',
      variables: ['name', { name: 'amount', type: 'amount' }, { name: 'orderId', type: 'string' }],
      body: '{{name}}님 주문 {{amount}}원',
      channels: {
        alimtalk: { templateCode: 'ORDER_01', body: '{{name}}님, 주문({{orderId}}) {{amount}}원 결제 완료', buttons: [{ type: 'WL', name: '주문 보기', linkMobile: 'https://shop.example/o/{{orderId}}' }] },
        push: { title: '주문 완료', body: '{{amount}}원 결제', data: { orderId: '{{orderId}}', screen: 'orders' } },
      },
    });
    raw['providers'].push({ id: 'fcm', kind: 'grpc', address: '127.0.0.1:3', channels: ['push'] });
    raw['routing'].channels.push = ['fcm'];
  });
  const route = createBatchRouter(routing);
  const variables = { name: '김', amount: '12,000', orderId: 'A-17' };
  const [kakao, push, badAmount, extra] = route(
    [
      request({ templateId: 'order', variables, channel: 'alimtalk' }),
      request({ templateId: 'order', variables, channel: 'push' }),
      request({ templateId: 'order', variables: { ...variables, amount: '12.5' } }),
      request({ templateId: 'order', variables: { ...variables, coupon: 'X' } }),
    ],
    Date.UTC(2026, 0, 5, 3),
  );
  assert.deepEqual(kakao?.outcome === 'routed' && [kakao.body, kakao.attributes], [
    '김님, 주문(A-17) 12,000원 결제 완료',
    { 'alimtalk.template_code': 'ORDER_01', 'kakao.buttons': JSON.stringify([{ type: 'WL', name: '주문 보기', linkMobile: 'https://shop.example/o/A-17' }]) },
  ]);
  assert.deepEqual(push?.outcome === 'routed' && [push.channel, push.subject, push.body, push.attributes], ['push', '주문 완료', '12,000원 결제', { 'push.data': JSON.stringify({ orderId: 'A-17', screen: 'orders' }) }]);
  assert.deepEqual(badAmount?.outcome === 'failed' && [badAmount.code, badAmount.reason], ['INVALID_VARIABLE', 'template "order": variables.amount must be an amount in whole won, e.g. "12000" or "12,000"; got "12.5"']);
  assert.deepEqual(extra?.outcome === 'failed' && [extra.code, extra.reason], ['UNKNOWN_VARIABLE', 'variable "coupon" is not a variable of template "order"']);
});

test("FriendTalk's earlier night cut moves advertising on to the next channel when that one may go now", () => {
  const route = createBatchRouter(
    routingWith([{ name: 'promo', match: { kinds: ['advertising'] }, chain: ['friendtalk', 'lms'] }], (raw) => {
      raw['providers'].push({ id: 'ft', kind: 'grpc', address: '127.0.0.1:3', channels: ['friendtalk'] });
      raw['routing'].channels.friendtalk = ['ft'];
    }),
  );
  const ad = (fields: Partial<RouteRequest> = {}) => request({ kind: 'advertising', templateId: '', body: '이번 주 특가', ...fields });
  const kst = (hour: number, minute: number) => Date.UTC(2026, 0, 5, hour - 9, minute);
  const [noon, evening, night, nightWithConsent] = [
    route([ad()], kst(12, 0))[0],
    route([ad()], kst(20, 30))[0],
    route([ad()], kst(21, 30))[0],
    route([ad({ nightConsent: true })], kst(21, 30))[0],
  ];
  assert.deepEqual(noon?.outcome === 'routed' && noon.channel, 'friendtalk');
  // 20:30: FriendTalk is cut, LMS advertising may still go (until 21:00), with its header and opt-out line.
  assert.equal(evening?.outcome, 'routed');
  if (evening?.outcome === 'routed') {
    assert.deepEqual([evening.channel, evening.step, evening.next], ['lms', 1, []]);
    assert.match(evening.body, /^\(광고\)스위치은행/);
    assert.match(evening.why, /^fallback step 1 of route "promo": friendtalk failed \(.*20:00.*\)/);
  }
  // 21:30: both are held; it waits for FriendTalk at 08:00.
  assert.deepEqual(night?.outcome === 'deferred' && night.deferUntilMs, Date.UTC(2026, 0, 5, 23, 0));
  // Night consent lifts the legal ban, not Kakao's cut: LMS takes it.
  assert.deepEqual(nightWithConsent?.outcome === 'routed' && nightWithConsent.channel, 'lms');
});
