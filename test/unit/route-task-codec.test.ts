import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRouteResults, decodeRouteTask, encodeRouteResults, encodeRouteTask } from '../../src/router/route-task-codec.js';
import type { RouteRequest, RouteResult } from '../../src/router/route-types.js';

const plain: RouteRequest = {
  messageId: 'm-1',
  tenant: 'bank',
  templateId: 'card-approval',
  variables: { name: '김철수', amount: '12,500' },
  body: '',
  subject: '',
  kind: 'informational',
  nightConsent: false,
  channel: null,
  recipient: '+821012345678',
  priority: 'urgent',
  tags: ['card', 'otp'],
};
const onFallback: RouteRequest = {
  ...plain,
  messageId: 'm-2',
  templateId: '',
  variables: {},
  body: '줄 하나\n줄 둘\t탭',
  subject: '제목',
  kind: 'advertising',
  nightConsent: true,
  channel: 'alimtalk',
  tags: [],
  fallback: { channels: ['lms'], step: 1, fromChannel: 'alimtalk', reason: 'NO_KAKAOTALK: no KakaoTalk\x1f', routeName: 'bank-kakao' },
};

test('a batch of requests crosses to a worker compact and comes back equal, fallback step and empty lists included', () => {
  const payload = encodeRouteTask(1_795_000_000_000, [plain, onFallback]);
  assert.equal(payload[0], 'C');
  assert.deepEqual(decodeRouteTask(payload), { nowMs: 1_795_000_000_000, requests: [plain, onFallback] });
  assert.deepEqual(decodeRouteTask(encodeRouteTask(5, [])), { nowMs: 5, requests: [] });
});

test('a request whose text holds a separator goes as JSON and still comes back equal', () => {
  const odd: RouteRequest = { ...plain, body: 'a\x1fb', variables: { 'x\x1d': 'y' } };
  for (const request of [odd, { ...plain, tags: ['a\x1db'] }]) {
    const payload = encodeRouteTask(7, [plain, request]);
    assert.equal(payload[0], 'J');
    assert.deepEqual(decodeRouteTask(payload).requests, [plain, request]);
  }
});

test('results of every outcome come back equal, and a separator in a text falls back to JSON', () => {
  const results: RouteResult[] = [
    { outcome: 'routed', channel: 'lms', subject: '제목', body: '본문\n둘째 줄', attributes: { 'alimtalk.template_code': 'T1', 'kakao.buttons': '[{"type":"WL"}]' }, billableUnits: 3, next: ['sms', 'push'], step: 1, routeName: 'bank-kakao', why: 'route "bank-kakao" matched' },
    { outcome: 'routed', channel: 'sms', subject: '', body: 'x', attributes: {}, billableUnits: 1, next: [], step: 0, routeName: 'default', why: '' },
    { outcome: 'failed', code: 'MISSING_VARIABLE', reason: 'template "t" needs variable "name"' },
    { outcome: 'deferred', deferUntilMs: 1_795_100_000_000, reason: 'night window; deferred to 08:00 KST' },
  ];
  const payload = encodeRouteResults(results);
  assert.equal(payload[0], 'C');
  assert.deepEqual(decodeRouteResults(payload), results);
  assert.deepEqual(decodeRouteResults(encodeRouteResults([])), []);
  for (const odd of [{ ...results[2], reason: 'a\x1eb' }, { ...results[0], body: 'a\x1fb' }, { ...results[1], attributes: { k: 'v\x1dw' } }] as RouteResult[]) {
    const oddPayload = encodeRouteResults([odd, ...results]);
    assert.equal(oddPayload[0], 'J');
    assert.deepEqual(decodeRouteResults(oddPayload), [odd, ...results]);
  }
});
