import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineRounds, median } from '../../../bench/lib/rounds.js';

test('median: the middle value, the mean of the middle two for an even count, null for none', () => {
  assert.equal(median([31, 20, 40]), 31);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.equal(median([]), null);
});

test('combineRounds: the median of each metric, the worst round for the bounds that must always hold', () => {
  const rounds = [
    { 'bulk.memory.deliveredPerSec': 40_000, 'failover.lost': 0, 'echo.msgsPerSec': 90, 'memory.bulk2m.maxRssMb': 430, 'only.second': null },
    { 'bulk.memory.deliveredPerSec': 52_000, 'failover.lost': 3, 'echo.msgsPerSec': 110, 'memory.bulk2m.maxRssMb': null, 'only.second': 5 },
    { 'bulk.memory.deliveredPerSec': 47_000, 'failover.lost': 0, 'echo.msgsPerSec': 80, 'memory.bulk2m.maxRssMb': null, 'only.second': null },
  ];
  const worst = new Map([['failover.lost', 'largest'], ['echo.msgsPerSec', 'smallest'], ['memory.bulk2m.maxRssMb', 'largest']] as const);
  assert.deepEqual(combineRounds(rounds, worst), {
    'bulk.memory.deliveredPerSec': 47_000,
    'failover.lost': 3,
    'echo.msgsPerSec': 80,
    // Measured in one round: that round.
    'memory.bulk2m.maxRssMb': 430,
    'only.second': 5,
  });
  assert.deepEqual(combineRounds([{ a: null }, { a: null }], new Map()), { a: null });
});
