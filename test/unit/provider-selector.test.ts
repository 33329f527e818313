import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProviderChoiceSettings } from '../../src/config/config.js';
import { ProviderBoard } from '../../src/channels/provider-board.js';
import type { HealthListener } from '../../src/channels/provider-health.js';
import { createProviderSelector } from '../../src/channels/provider-selector.js';
import type { ProviderLiveState } from '../../src/channels/provider-connector.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';
import { createFakeClock } from '../helpers/fake-clock.js';

const QUIET: HealthListener = { breakerChanged: () => {}, weightShifted: () => {} };
const UP: ProviderLiveState = { connected: true, reachable: true, inFlight: 0 };
const NONE: ReadonlySet<string> = new Set();

/** A config with SMS providers sms-0.. and the given routing.channels.sms entries, through parseConfig. */
function choiceSettings(count: number, sms: unknown[], routing: Record<string, unknown> = {}, health: Record<string, unknown> = {}): ProviderChoiceSettings {
  const raw = rawTestConfig({ sms: Array.from({ length: count }, (_, i) => `127.0.0.1:${50_000 + i}`) });
  const rawRouting = raw['routing'] as Record<string, unknown>;
  raw['routing'] = { ...rawRouting, ...routing, channels: { ...(rawRouting['channels'] as object), sms } };
  raw['providerHealth'] = health;
  return compileTestConfig(raw).providerChoice;
}

function selector(settings: ProviderChoiceSettings, live: Record<string, ProviderLiveState> = {}) {
  const clock = createFakeClock(1_000_000);
  const board = new ProviderBoard(clock.now, QUIET);
  board.configure(settings);
  const choose = createProviderSelector({ settings: () => settings, board, liveState: (id) => live[id] ?? UP });
  return { choose, board, clock };
}

function countPicks(choose: ReturnType<typeof selector>['choose'], n: number, recipient = (i: number) => `+8210${String(i).padStart(8, '0')}`): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = choose('sms', recipient(i), NONE)?.providerId ?? 'none';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('today\'s form [a, b] keeps its meaning: a takes everything, b only when a is excluded or unusable', () => {
  const { choose, board } = selector(choiceSettings(2, ['sms-0', 'sms-1']));
  assert.deepEqual([...countPicks(choose, 100)], [['sms-0', 100]]);
  assert.equal(choose('sms', '+821012345678', new Set(['sms-0']))?.providerId, 'sms-1');
  board.setOperatorState('sms-0', { drained: true });
  const choice = choose('sms', '+821012345678', NONE);
  assert.equal(choice?.providerId, 'sms-1');
  assert.match(choice?.why ?? '', /priority group 2: .*skipped sms-0 \(drained by an operator\)/);
  assert.equal(choose('sms', '+821012345678', new Set(['sms-1'])), undefined);
});

test('weighted spread inside a group follows the weights within 1% over many picks (smooth round-robin)', () => {
  const { choose } = selector(choiceSettings(3, [{ provider: 'sms-0', weight: 3 }, { provider: 'sms-1', weight: 1 }, { provider: 'sms-2', group: 2 }]));
  const counts = countPicks(choose, 10_000);
  assert.equal(counts.get('sms-2'), undefined, 'the secondary group gets nothing while the primary is usable');
  assert.ok(Math.abs((counts.get('sms-0') ?? 0) / 10_000 - 0.75) < 0.01, JSON.stringify([...counts]));
  assert.ok(Math.abs((counts.get('sms-1') ?? 0) / 10_000 - 0.25) < 0.01, JSON.stringify([...counts]));
  const why = choose('sms', '+821012345678', NONE)?.why ?? '';
  assert.match(why, /^channel "sms" priority group 1: weighted round-robin over sms-0 weight 3, sms-1 weight 1$/);
});

test('the secondary group is used only when every member of the primary is unusable', () => {
  const settings = choiceSettings(3, [{ provider: 'sms-0' }, { provider: 'sms-1' }, { provider: 'sms-2', priorityGroup: 2 }]);
  const live: Record<string, ProviderLiveState> = { 'sms-0': { connected: false, reachable: false, inFlight: 0 } };
  const { choose } = selector(settings, live);
  assert.deepEqual([...countPicks(choose, 50)], [['sms-1', 50]]);
  const choice = choose('sms', '+821012345678', new Set(['sms-1']));
  assert.equal(choice?.providerId, 'sms-2');
  assert.match(choice?.why ?? '', /priority group 2: .* skipped sms-0 \(unreachable\), sms-1 \(tried in this pass\)/);
});

test('a supplier whose breaker is open is skipped until its cooldown passes, then gets only its probes', () => {
  const settings = choiceSettings(2, [{ provider: 'sms-0' }, { provider: 'sms-1' }], {}, { minRequests: 10, openErrorRate: 0.5, openCooldown: '10s', halfOpenProbes: 3 });
  const { choose, board, clock } = selector(settings);
  const failures = Array.from({ length: 10 }, () => ({ kind: 'rejected' as const, code: 'BUSY', reason: 'busy', retryable: true }));
  board.recordAnswers('sms-0', failures, failures.map((_, i) => `m${i}`));
  assert.equal(board.health('sms-0')?.breakerState(), 'open');
  const whileOpen = countPicks(choose, 20);
  assert.deepEqual([...whileOpen], [['sms-1', 20]]);
  assert.match(choose('sms', '+821012345678', NONE)?.why ?? '', /skipped sms-0 \(breaker open\)/);
  clock.set(clock.now() + 10_000);
  const probing = countPicks(choose, 20);
  assert.equal(probing.get('sms-0'), 3, 'three probes, no more until they are answered');
});

test('a dry run (route explanations) takes no round-robin turn and uses up no half-open probe', () => {
  const settings = choiceSettings(2, [{ provider: 'sms-0' }, { provider: 'sms-1' }], {}, { minRequests: 10, openErrorRate: 0.5, openCooldown: '10s', halfOpenProbes: 1 });
  const { choose, board, clock } = selector(settings);
  const first = choose('sms', '+821012345678', NONE, true)?.providerId;
  for (let i = 0; i < 5; i++) assert.equal(choose('sms', '+821012345678', NONE, true)?.providerId, first, 'the same answer however often it is asked');
  assert.equal(choose('sms', '+821012345678', NONE)?.providerId, first, 'the real pick is the one the dry runs showed');

  const failures = Array.from({ length: 10 }, () => ({ kind: 'rejected' as const, code: 'BUSY', reason: 'busy', retryable: true }));
  board.recordAnswers('sms-0', failures, failures.map((_, i) => `m${i}`));
  clock.set(clock.now() + 10_000);
  const probing = (dryRun: boolean) => Array.from({ length: 4 }, () => choose('sms', '+821012345678', new Set(['sms-1']), dryRun)?.providerId);
  assert.deepEqual(probing(true), ['sms-0', 'sms-0', 'sms-0', 'sms-0'], 'explaining shows the probe without taking it');
  assert.deepEqual(probing(false), ['sms-0', undefined, undefined, undefined], 'the one probe is still there for a real message');
});

test('stickiness keeps a recipient on one supplier, spreads recipients by weight, and moves only the recipients of a tripped supplier', () => {
  const settings = choiceSettings(3, [{ provider: 'sms-0', weight: 2 }, { provider: 'sms-1', weight: 1 }, { provider: 'sms-2', weight: 1 }], { stickyRecipients: true });
  const { choose, board } = selector(settings);
  const recipients = Array.from({ length: 4000 }, (_, i) => `+8210${String(i * 7919).padStart(8, '0')}`);
  const first = recipients.map((r) => choose('sms', r, NONE)?.providerId);
  assert.deepEqual(recipients.map((r) => choose('sms', r, NONE)?.providerId), first, 'same recipient, same supplier');
  const share = (id: string) => first.filter((p) => p === id).length / recipients.length;
  assert.ok(Math.abs(share('sms-0') - 0.5) < 0.04, `sms-0 ${share('sms-0')}`);
  assert.ok(Math.abs(share('sms-1') - 0.25) < 0.04, `sms-1 ${share('sms-1')}`);
  assert.match(choose('sms', recipients[0] as string, NONE)?.why ?? '', /recipient hash over weights/);
  board.setOperatorState('sms-1', { drained: true });
  const after = recipients.map((r) => choose('sms', r, NONE)?.providerId);
  for (let i = 0; i < recipients.length; i++) {
    if (first[i] === 'sms-1') assert.notEqual(after[i], 'sms-1');
    else assert.equal(after[i], first[i], 'recipients of healthy suppliers stay put');
  }
});

test('an operator-preferred supplier goes before every configured group', () => {
  const { choose, board } = selector(choiceSettings(2, ['sms-0', 'sms-1']));
  board.setOperatorState('sms-1', { preferred: true });
  const choice = choose('sms', '+821012345678', NONE);
  assert.equal(choice?.providerId, 'sms-1');
  assert.match(choice?.why ?? '', /operator-preferred/);
});

test('an adapted weight shifts the spread and shows in the why', () => {
  const settings = choiceSettings(2, [{ provider: 'sms-0' }, { provider: 'sms-1' }], {}, { minRequests: 10, weightErrorRate: 0.1, openErrorRate: 0.9, weightStep: 0.5 });
  const { choose, board } = selector(settings);
  const answers = Array.from({ length: 10 }, (_, i) => (i < 3 ? { kind: 'rejected' as const, code: 'BUSY', reason: 'busy', retryable: true } : { kind: 'accepted' as const, providerRef: `r${i}` }));
  board.recordAnswers('sms-0', answers, answers.map((_, i) => `m${i}`));
  assert.equal(board.health('sms-0')?.weightFactor(), 0.5);
  const counts = countPicks(choose, 3000);
  assert.ok(Math.abs((counts.get('sms-0') ?? 0) / 3000 - 1 / 3) < 0.01, JSON.stringify([...counts]));
  assert.match(choose('sms', '+821012345678', NONE)?.why ?? '', /sms-0 weight 1x0.5=0.5/);
});
