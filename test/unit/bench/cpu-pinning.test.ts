import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuListText, splitCpus } from '../../../bench/lib/cpu-pinning.js';

test('--sut-cpus lists are split into the systems-under-test CPUs and the harness CPUs', () => {
  assert.deepEqual(splitCpus('1', 2), { sut: [1], harness: [0] });
  assert.deepEqual(splitCpus('2-3', 4), { sut: [2, 3], harness: [0, 1] });
  assert.deepEqual(splitCpus(' 0 , 2-3 ', 6), { sut: [0, 2, 3], harness: [1, 4, 5] });
  assert.deepEqual(splitCpus('3,1-2,2', 4), { sut: [1, 2, 3], harness: [0] }, 'repeats and order do not matter');
  assert.equal(cpuListText([1, 4, 5]), '1,4,5');
});

test('a --sut-cpus list that is malformed, names a CPU that is not there, or leaves the harness none is refused with the reason', () => {
  assert.throws(() => splitCpus('one', 2), /takes a CPU list such as "1", "2-3" or "0,2-3", got "one"/);
  assert.throws(() => splitCpus('1-', 2), /takes a CPU list/);
  assert.throws(() => splitCpus('3-2', 4), /the range "3-2" runs backwards/);
  assert.throws(() => splitCpus('2', 2), /CPU 2 does not exist here \(CPUs 0-1\)/);
  assert.throws(() => splitCpus('0-1', 2), /leaves no CPU for the load generator and the simulated suppliers/);
});
