import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyseFailover } from '../../../bench/scenarios/failover.js';

/** `perSec` arrivals per second, evenly spread over [fromMs, toMs), ids numbered from `firstId`. */
function arrivals(fromMs: number, toMs: number, perSec: number, firstId: number): { atMs: number; id: string }[] {
  const rows: { atMs: number; id: string }[] = [];
  const step = 1000 / perSec;
  for (let at = fromMs, i = firstId; at < toMs; at += step, i++) rows.push({ atMs: Math.floor(at), id: `m${i}` });
  return rows;
}

test('a gap after the kill is measured until the rate is back above 80% of before', () => {
  const kill = 10_000;
  // 1,000/s before the kill, nothing for 1.5 s, then 1,000/s again.
  const before = arrivals(7_000, kill, 1000, 0);
  const after = arrivals(kill + 1500, kill + 5000, 1000, before.length);
  const all = [...before, ...after];
  const result = analyseFailover(all, new Set(all.map((a) => a.id)), kill);
  assert.equal(result.lost, 0);
  assert.equal(result.duplicates, 0);
  assert.equal(result.preKillPerSec, 1000);
  // The first 500 ms window at >= 800/s ends between 1.9 s and 2.0 s after the kill.
  assert.ok(result.recoveryMs !== null && result.recoveryMs >= 1900 && result.recoveryMs <= 2000, String(result.recoveryMs));
});

test('accepted ids missing from every ledger are lost; repeated ones are duplicates', () => {
  const kill = 5_000;
  const rows = arrivals(2_000, 8_000, 100, 0);
  rows.push({ atMs: 6_000, id: 'm1' }, { atMs: 6_001, id: 'm1' }, { atMs: 6_002, id: 'm2' });
  const accepted = new Set([...rows.map((r) => r.id), 'never-1', 'never-2']);
  const result = analyseFailover(rows, accepted, kill);
  assert.equal(result.lost, 2);
  assert.equal(result.duplicates, 3);
});

test('a rate that never comes back has no recovery time', () => {
  const kill = 5_000;
  const rows = [...arrivals(2_000, kill, 1000, 0), ...arrivals(kill, 9_000, 100, 10_000)];
  assert.equal(analyseFailover(rows, new Set(), kill).recoveryMs, null);
});
