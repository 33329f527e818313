import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FinalStatusTable } from '../../src/store/final-status-table.js';

const recordOf = (id: string, text: string) => `${id}\n${text}`;

test('finds records by message id, oldest first, and forgets the dropped ones', () => {
  const table = new FinalStatusTable();
  for (const id of ['a', 'ab', 'abc']) table.add(id, recordOf(id, `of ${id}`));
  assert.equal(table.size, 3);
  assert.equal(table.get('ab'), 'ab\nof ab');
  assert.equal(table.get('b'), undefined);
  // A record whose id is a prefix of the one asked for, or the other way round, is not its record.
  assert.equal(table.get('abcd'), undefined);
  assert.equal(table.oldest(), 'a\nof a');
  table.dropOldest();
  assert.equal(table.get('a'), undefined);
  assert.equal(table.oldest(), 'ab\nof ab');
  assert.equal(table.replace('ab', recordOf('ab', 'late')), 'ab\nof ab');
  assert.equal(table.get('ab'), 'ab\nlate');
  assert.equal(table.oldest(), 'ab\nlate', 'a replaced record keeps its age');
  table.dropOldest();
  table.dropOldest();
  assert.equal(table.size, 0);
  assert.equal(table.oldest(), undefined);
  assert.equal(table.get('abc'), undefined);
});

test('agrees with a Map through growth, wrap-around and dropping from the head', () => {
  const table = new FinalStatusTable();
  const model = new Map<string, string>();
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let next = 0;
  for (let step = 0; step < 60_000; step++) {
    const r = random();
    if (r < 0.55 || model.size === 0) {
      // Ids like the gateway's, and short ones that collide often.
      const id = step % 3 === 0 ? `m1a2b3c4d5e6-${(next++).toString(36)}` : `${next++}`;
      const record = recordOf(id, `r${step}`);
      table.add(id, record);
      model.set(id, record);
    } else if (r < 0.9) {
      const [id, record] = model.entries().next().value as [string, string];
      assert.equal(table.oldest(), record);
      table.dropOldest();
      model.delete(id);
    } else {
      const ids = [...model.keys()];
      const id = ids[Math.floor(random() * ids.length)]!;
      const record = recordOf(id, `late ${step}`);
      assert.equal(table.replace(id, record), model.get(id));
      model.set(id, record);
    }
    if (step % 997 === 0) {
      assert.equal(table.size, model.size);
      for (const [id, record] of model) assert.equal(table.get(id), record);
      assert.equal(table.get(`${next + 1}`), undefined);
    }
  }
});
