import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProviderHealthSettings } from '../../src/config/config.js';
import type { SubmitOutcome } from '../../src/channels/provider-connector.js';
import { ProviderHealth, type BreakerState } from '../../src/channels/provider-health.js';
import { createFakeClock } from '../helpers/fake-clock.js';

const SETTINGS: ProviderHealthSettings = {
  windowMs: 10_000,
  minRequests: 10,
  openErrorRate: 0.5,
  openTimeouts: 5,
  openCooldownMs: 1000,
  maxOpenCooldownMs: 4000,
  halfOpenProbes: 3,
  weightErrorRate: 0.1,
  reportTimeoutMs: 60_000,
  weightUndeliveredShare: 0.2,
  weightStep: 0.25,
  weightCooldownMs: 5000,
  minWeightFactor: 0.25,
};

const ok = (): SubmitOutcome => ({ kind: 'accepted', providerRef: 'r' });
const busy = (): SubmitOutcome => ({ kind: 'rejected', code: 'BUSY', reason: 'busy', retryable: true });
const broken = (): SubmitOutcome => ({ kind: 'rejected', code: 'STREAM_BROKEN', reason: 'broken', retryable: true });
const invalid = (): SubmitOutcome => ({ kind: 'rejected', code: 'INVALID_NUMBER', reason: 'no such number', retryable: false });

function setup(overrides: Partial<ProviderHealthSettings> = {}) {
  const clock = createFakeClock(1_000_000);
  const transitions: string[] = [];
  const shifts: string[] = [];
  let ids = 0;
  const health = new ProviderHealth('p', { ...SETTINGS, ...overrides }, clock.now, {
    breakerChanged: (_id, from: BreakerState, to: BreakerState) => transitions.push(`${from}->${to}`),
    weightShifted: (_id, factor, direction) => shifts.push(`${direction} ${factor}`),
  });
  const answer = (...outcomes: SubmitOutcome[]): void => health.recordAnswers(outcomes, outcomes.map(() => `m${++ids}`));
  const advance = (ms: number): void => clock.set(clock.now() + ms);
  return { health, transitions, shifts, answer, advance, lastId: () => `m${ids}` };
}

const times = (n: number, make: () => SubmitOutcome): SubmitOutcome[] => Array.from({ length: n }, make);

test('the breaker stays closed below minRequests and opens when the error rate reaches its threshold', () => {
  const { health, transitions, answer } = setup({ weightCooldownMs: 1e9 });
  answer(...times(9, busy));
  assert.equal(health.breakerState(), 'closed', 'nine answers are below minRequests');
  answer(...times(11, ok)); // 9 errors of 20: 45%
  assert.equal(health.breakerState(), 'closed');
  answer(busy(), busy()); // 11 of 22: 50%
  assert.equal(health.breakerState(), 'open');
  assert.equal(health.canTake(), false);
  assert.deepEqual(transitions, ['closed->open']);
});

test('permanent rejections do not count against the supplier', () => {
  const { health, answer } = setup();
  answer(...times(30, invalid));
  assert.equal(health.breakerState(), 'closed');
  assert.equal(health.snapshot().answers, 0);
});

test('a run of timed-out batches opens the breaker even below minRequests; an accepted message resets the run', () => {
  const { health, answer } = setup({ minRequests: 100 });
  for (let i = 0; i < 4; i++) answer(broken(), broken());
  answer(ok(), broken()); // one batch with an answer: the supplier is there
  for (let i = 0; i < 4; i++) answer(...times(50, broken));
  assert.equal(health.breakerState(), 'closed');
  assert.equal(health.snapshot().answers, 10, 'each timed-out batch is one error, not one per message (9 + the accepted one)');
  answer(broken());
  assert.equal(health.breakerState(), 'open');
});

test('open -> half-open after the cooldown -> closed when every probe succeeds', () => {
  const { health, transitions, answer, advance } = setup();
  answer(...times(10, busy));
  advance(999);
  assert.equal(health.breakerState(), 'open');
  advance(1);
  assert.equal(health.breakerState(), 'half-open');
  for (let i = 0; i < 3; i++) {
    assert.equal(health.canTake(), true);
    health.notePicked();
  }
  assert.equal(health.canTake(), false, 'no more than halfOpenProbes in flight');
  answer(ok(), ok());
  assert.equal(health.breakerState(), 'half-open');
  answer(ok());
  assert.equal(health.breakerState(), 'closed');
  assert.equal(health.snapshot().errorRate, 0, 'the window starts afresh on closing');
  assert.deepEqual(transitions, ['closed->open', 'open->half-open', 'half-open->closed']);
});

test('a failed probe reopens with a doubled cooldown, capped at maxOpenCooldown; closing resets it', () => {
  const { health, answer, advance } = setup();
  answer(...times(10, busy));
  for (const cooldown of [1000, 2000, 4000, 4000]) {
    advance(cooldown - 1);
    assert.equal(health.breakerState(), 'open', `still open before ${cooldown} ms`);
    advance(1);
    assert.equal(health.breakerState(), 'half-open');
    health.notePicked();
    answer(busy());
    assert.equal(health.breakerState(), 'open');
  }
  advance(4000);
  assert.equal(health.breakerState(), 'half-open');
  answer(ok(), ok(), ok());
  assert.equal(health.breakerState(), 'closed');
  answer(...times(10, busy));
  advance(1000);
  assert.equal(health.breakerState(), 'half-open', 'the cooldown is back to openCooldown');
});

test('adaptive weight steps down with a cooldown while the error rate is high, and drifts back when it recovers', () => {
  const { health, shifts, answer, advance } = setup({ openErrorRate: 0.9 });
  answer(...times(8, ok), busy(), busy()); // 20% > 10%
  assert.equal(health.weightFactor(), 0.75);
  answer(...times(8, ok), busy(), busy());
  assert.equal(health.weightFactor(), 0.75, 'no second step within weightCooldown');
  advance(5000);
  assert.equal(health.weightFactor(), 0.5);
  advance(5000);
  answer(...times(8, ok), busy(), busy());
  assert.equal(health.weightFactor(), 0.25);
  advance(5000);
  assert.equal(health.weightFactor(), 0.25, 'not below minWeightFactor');
  advance(10_000); // the window forgets the errors
  answer(...times(20, ok));
  assert.equal(health.weightFactor(), 0.5);
  advance(4999);
  assert.equal(health.weightFactor(), 0.5);
  advance(1);
  assert.equal(health.weightFactor(), 0.75);
  advance(5000);
  assert.equal(health.weightFactor(), 1);
  advance(5000);
  assert.equal(health.weightFactor(), 1, 'not above the configured weight');
  assert.deepEqual(shifts, ['down 0.75', 'down 0.5', 'down 0.25', 'up 0.5', 'up 0.75', 'up 1']);
});

test('delivery latency: messages without a final report after reportTimeout lower the weight', () => {
  const { health, answer, advance } = setup({ reportTimeoutMs: 60_000, weightUndeliveredShare: 0.2, minRequests: 10 });
  const reported: string[] = [];
  answer(...times(10, ok));
  // Final reports for 7 of 10 within the timeout: 30% never report.
  for (let i = 1; i <= 7; i++) reported.push(`m${i}`);
  advance(1000);
  for (const id of reported) health.recordFinalReport(id);
  assert.equal(health.weightFactor(), 1, 'nothing is overdue yet');
  advance(60_000);
  assert.equal(health.snapshot().undeliveredShare, 0.3);
  assert.equal(health.weightFactor(), 0.75);
});

test('thresholds change on configure; the measured state is kept', () => {
  const { health, answer } = setup();
  answer(...times(10, busy));
  assert.equal(health.breakerState(), 'open');
  health.configure({ ...SETTINGS, openCooldownMs: 500 });
  assert.equal(health.breakerState(), 'open');
});

test('a final report that arrives before the submit answer counts as in time', () => {
  const { health, answer, advance } = setup({ reportTimeoutMs: 60_000, minRequests: 10 });
  for (let i = 1; i <= 10; i++) health.recordFinalReport(`m${i}`);
  answer(...times(10, ok));
  advance(120_000);
  assert.equal(health.snapshot().undeliveredShare, 0);
  assert.equal(health.weightFactor(), 1);
});
