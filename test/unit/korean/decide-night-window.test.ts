import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelName } from '../../../src/domain/channel.js';
import { decideNightWindow, type NightWindowRequest, type NightWindowSettings } from '../../../src/router/korean/decide-night-window.js';

const DEFER: NightWindowSettings = { startMinuteKst: 21 * 60, endMinuteKst: 8 * 60, friendtalkStartMinuteKst: 20 * 60, mode: 'defer' };
const REJECT: NightWindowSettings = { ...DEFER, mode: 'reject' };
const AD: NightWindowRequest = { kind: 'advertising', channel: 'sms', nightConsent: false };
const RULE = 'advertising is not sent between 21:00 and 08:00 KST without night-time consent';

/** Epoch ms of a wall-clock time in Seoul (UTC+9). */
function kst(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): number {
  return Date.UTC(year, month - 1, day, hour - 9, minute, second, ms);
}

const action = (nowMs: number, request = AD, settings = DEFER): string => decideNightWindow(request, nowMs, settings).action;

test('the boundaries: 20:59:59 sends, 21:00:00 is held, 07:59:59 is held, 08:00:00 sends', () => {
  assert.equal(action(kst(2025, 3, 14, 20, 59, 59)), 'send');
  assert.equal(action(kst(2025, 3, 14, 20, 59, 59, 999)), 'send');
  assert.equal(action(kst(2025, 3, 14, 21, 0, 0)), 'defer');
  assert.equal(action(kst(2025, 3, 15, 0, 0, 0)), 'defer');
  assert.equal(action(kst(2025, 3, 15, 7, 59, 59)), 'defer');
  assert.equal(action(kst(2025, 3, 15, 7, 59, 59, 999)), 'defer');
  assert.equal(action(kst(2025, 3, 15, 8, 0, 0)), 'send');
  assert.equal(action(kst(2025, 3, 15, 12, 0, 0)), 'send');
});

test('a deferred message waits for the next 08:00 KST, the same night or across midnight', () => {
  assert.deepEqual(decideNightWindow(AD, kst(2025, 3, 14, 21, 0, 0), DEFER), {
    action: 'defer',
    notBeforeMs: kst(2025, 3, 15, 8, 0, 0),
    reason: `${RULE}; deferred to 08:00 KST`,
  });
  const at0130 = decideNightWindow(AD, kst(2025, 3, 15, 1, 30, 0), DEFER);
  assert.equal(at0130.action === 'defer' && at0130.notBeforeMs, kst(2025, 3, 15, 8, 0, 0));
  const at0759 = decideNightWindow(AD, kst(2025, 3, 15, 7, 59, 59), DEFER);
  assert.equal(at0759.action === 'defer' && at0759.notBeforeMs, kst(2025, 3, 15, 8, 0, 0));
});

test('the next 08:00 crosses month and year ends, leap day included', () => {
  const cases: [number, number][] = [
    [kst(2025, 1, 31, 22, 0, 0), kst(2025, 2, 1, 8, 0, 0)],
    [kst(2024, 2, 28, 23, 30, 0), kst(2024, 2, 29, 8, 0, 0)],
    [kst(2024, 2, 29, 21, 0, 0), kst(2024, 3, 1, 8, 0, 0)],
    [kst(2025, 2, 28, 23, 59, 59), kst(2025, 3, 1, 8, 0, 0)],
    [kst(2025, 4, 30, 21, 15, 0), kst(2025, 5, 1, 8, 0, 0)],
    [kst(2025, 12, 31, 21, 0, 0), kst(2026, 1, 1, 8, 0, 0)],
  ];
  for (const [nowMs, expected] of cases) {
    const decision = decideNightWindow(AD, nowMs, DEFER);
    assert.equal(decision.action === 'defer' ? new Date(decision.notBeforeMs).toISOString() : decision.action, new Date(expected).toISOString());
  }
});

test('22:00 KST is 13:00 UTC: the window is in Korean time whatever the host time zone', () => {
  const decision = decideNightWindow(AD, Date.UTC(2025, 5, 10, 13, 0, 0), DEFER);
  assert.equal(decision.action === 'defer' && new Date(decision.notBeforeMs).toISOString(), '2025-06-10T23:00:00.000Z');
});

test('reject mode rejects with the rule instead of deferring', () => {
  assert.deepEqual(decideNightWindow(AD, kst(2025, 3, 14, 22, 0, 0), REJECT), {
    action: 'reject',
    code: 'AD_NIGHT_BAN',
    reason: `${RULE}; send it again from 08:00 KST`,
  });
  assert.equal(action(kst(2025, 3, 14, 20, 59, 59), AD, REJECT), 'send');
});

test('night-time consent lets advertising go; informational messages always go', () => {
  assert.equal(action(kst(2025, 3, 14, 23, 0, 0), { ...AD, nightConsent: true }), 'send');
  for (const channel of ['sms', 'lms', 'alimtalk', 'friendtalk', 'push'] satisfies ChannelName[]) {
    assert.equal(action(kst(2025, 3, 14, 23, 0, 0), { kind: 'informational', channel, nightConsent: false }), 'send', channel);
  }
});

test('FriendTalk advertising is cut from 20:00, and night-time consent does not lift it', () => {
  const friendtalk: NightWindowRequest = { ...AD, channel: 'friendtalk' };
  assert.equal(action(kst(2025, 3, 14, 19, 59, 59), friendtalk), 'send');
  assert.deepEqual(decideNightWindow(friendtalk, kst(2025, 3, 14, 20, 0, 0), DEFER), {
    action: 'defer',
    notBeforeMs: kst(2025, 3, 15, 8, 0, 0),
    reason: 'FriendTalk advertising is not sent between 20:00 and 08:00 KST; deferred to 08:00 KST',
  });
  assert.equal(action(kst(2025, 3, 14, 20, 30, 0), { ...friendtalk, nightConsent: true }), 'defer');
  assert.equal(action(kst(2025, 3, 15, 8, 0, 0), friendtalk), 'send');
  // SMS is still fine at 20:30: the earlier cut is FriendTalk's alone.
  assert.equal(action(kst(2025, 3, 14, 20, 30, 0)), 'send');
});

test('the window is configurable, including one that does not cross midnight and an empty one', () => {
  const early: NightWindowSettings = { ...DEFER, startMinuteKst: 1 * 60, endMinuteKst: 6 * 60 + 30 };
  assert.equal(action(kst(2025, 3, 14, 0, 59, 59), AD, early), 'send');
  const held = decideNightWindow(AD, kst(2025, 3, 14, 1, 0, 0), early);
  assert.equal(held.action === 'defer' && held.notBeforeMs, kst(2025, 3, 14, 6, 30, 0));
  assert.equal(held.action === 'defer' && held.reason, 'advertising is not sent between 01:00 and 06:30 KST without night-time consent; deferred to 06:30 KST');
  assert.equal(action(kst(2025, 3, 14, 6, 30, 0), AD, early), 'send');
  assert.equal(action(kst(2025, 3, 14, 23, 0, 0), AD, { ...DEFER, startMinuteKst: 480 }), 'send');
});

test('a clock that gives no time fails closed instead of letting advertising out', () => {
  assert.throws(() => decideNightWindow(AD, Number.NaN, DEFER), {
    name: 'RangeError',
    message: 'nowMs must be a finite epoch time in ms, got NaN',
  });
});
