import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexSlotsFor } from '../../src/domain/position-index.js';
import { PackedStatusTable } from '../../src/store/packed-status-table.js';

const recordOf = (id: string, text: string) => `${id}\n${text}`;

test('finds records by message id, oldest first, and forgets the dropped ones', () => {
  const table = new PackedStatusTable();
  for (const id of ['a', 'ab', 'abc']) assert.equal(table.put(id, recordOf(id, `of ${id}`)), true);
  assert.equal(table.size, 3);
  assert.equal(table.get('ab'), 'ab\nof ab');
  assert.equal(table.get('b'), undefined);
  // A record whose id is a prefix of the one asked for, or the other way round, is not its record.
  assert.equal(table.get('abcd'), undefined);
  assert.equal(table.oldest(), 'a\nof a');
  table.dropOldest();
  assert.equal(table.get('a'), undefined);
  assert.equal(table.oldest(), 'ab\nof ab');
  // Put again (a late report): the new record, which is now the newest.
  assert.equal(table.put('ab', recordOf('ab', 'late, 한글')), true);
  assert.equal(table.size, 2);
  assert.equal(table.get('ab'), 'ab\nlate, 한글');
  assert.equal(table.oldest(), 'abc\nof abc');
  table.dropOldest();
  assert.equal(table.oldest(), 'ab\nlate, 한글');
  table.dropOldest();
  assert.equal(table.size, 0);
  assert.equal(table.oldest(), undefined);
  assert.equal(table.get('abc'), undefined);
});

test('keeps any text, and says which records it cannot keep', () => {
  const table = new PackedStatusTable();
  const texts = ['', 'ÿ\u0000\t', '카카오 \ud83d\ude00', 'lone \ud800 surrogate', 'x'.repeat(100_000)];
  texts.forEach((text, i) => assert.equal(table.put(`id-${i}`, recordOf(`id-${i}`, text)), true));
  texts.forEach((text, i) => assert.equal(table.get(`id-${i}`), recordOf(`id-${i}`, text)));
  assert.equal(table.get('한글-id'), undefined);
  assert.equal(table.put('한글-id', recordOf('한글-id', 'r')), true);
  assert.equal(table.get('한글-id'), '한글-id\nr');
  assert.equal(table.put('new\nline', recordOf('new\nline', 'r')), false);
  assert.equal(table.put('huge', recordOf('huge', 'x'.repeat(2_000_000))), false);
  // Put again too large: the earlier record goes too.
  assert.equal(table.put('id-1', recordOf('id-1', 'x'.repeat(2_000_000))), false);
  assert.equal(table.get('id-1'), undefined);
  assert.equal(table.size, texts.length);
});

test('agrees with a Map through chunks, growth, late puts and dropping from the head', () => {
  const table = new PackedStatusTable();
  const model = new Map<string, string>();
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let next = 0;
  for (let step = 0; step < 60_000; step++) {
    const r = random();
    if (r < 0.55 || model.size === 0) {
      // Ids like the gateway's, and short ones that collide often; records long enough to fill chunks.
      const id = step % 3 === 0 ? `m1a2b3c4d5e6-${(next++).toString(36)}` : `${next++}`;
      const record = recordOf(id, `r${step} ${'y'.repeat(step % 7 === 0 ? 3000 : 40)}${step % 11 === 0 ? ' 한' : ''}`);
      assert.equal(table.put(id, record), true);
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
      assert.equal(table.put(id, record), true);
      model.delete(id);
      model.set(id, record);
    }
    if (step % 997 === 0) {
      assert.equal(table.size, model.size);
      for (const [id, record] of model) assert.equal(table.get(id), record);
      assert.equal(table.get(`${next + 1}`), undefined);
    }
  }
  while (model.size > 0) {
    const [id, record] = model.entries().next().value as [string, string];
    assert.equal(table.oldest(), record);
    table.dropOldest();
    model.delete(id);
  }
  assert.equal(table.size, 0);
});

test('the index is made for the expected records, at most half full, so filling the table up to them never rehashes it', () => {
  assert.equal(indexSlotsFor(0), 1024);
  assert.equal(indexSlotsFor(512), 1024);
  assert.equal(indexSlotsFor(513), 2048);
  assert.equal(indexSlotsFor(1_000_000), 2 ** 21); // 16 MB of Float64 slots for the default maxStatusRecords
  // A table sized for a few records still grows past them, and keeps finding every record.
  const table = new PackedStatusTable(600);
  for (let i = 0; i < 5000; i++) assert.equal(table.add(`m-${i}`, recordOf(`m-${i}`, `r${i}`)), true);
  for (let i = 0; i < 5000; i++) assert.equal(table.get(`m-${i}`), recordOf(`m-${i}`, `r${i}`));
  for (let i = 0; i < 4990; i++) table.dropOldest();
  assert.equal(table.size, 10);
  assert.equal(table.get('m-4995'), recordOf('m-4995', 'r4995'));
  assert.equal(table.get('m-10'), undefined);
});
