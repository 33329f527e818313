import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyUnencodablePolicy, type UnencodablePolicy } from '../../../src/router/korean/apply-unencodable-policy.js';
import { eucKrByteLength } from '../../../src/router/korean/euc-kr-byte-length.js';
import { findUnencodable } from '../../../src/router/korean/find-unencodable.js';
import { plainEucKrByteLength } from '../../../src/router/korean/plain-euc-kr-byte-length.js';

const STRICTNESS = [false, true];

test('ASCII and Hangul are plain and counted like eucKrByteLength', () => {
  assert.equal(plainEucKrByteLength('', false), 0);
  assert.equal(plainEucKrByteLength('[카드승인] 김철수님 12,000원 승인', false), eucKrByteLength('[카드승인] 김철수님 12,000원 승인'));
  assert.equal(plainEucKrByteLength('줄\r\n바꿈', false), 8);
  assert.equal(plainEucKrByteLength('갂뷁', false), 4);
  assert.equal(plainEucKrByteLength('·×', false), 4); // Latin-1 symbols EUC-KR encodes
});

test('anything the full path might change or refuse is not plain (-1)', () => {
  for (const text of ['😀', 'a\u00a0b', '\u1100\u1161', '가\u11a8', 'e\u0301', '€', '①', '韓', '\ud800', '\u200d', '₩', '\u2126']) {
    assert.equal(plainEucKrByteLength(text, false), -1, JSON.stringify(text));
  }
  // Strict EUC-KR: CP949-only syllables are refused there, so they are not plain.
  assert.equal(plainEucKrByteLength('갂', true), -1);
  assert.equal(plainEucKrByteLength('가', true), 2);
});

test('every plain character is left alone by the full path and counted the same, under both strictness settings', () => {
  for (const strictKsX1001 of STRICTNESS) {
    const policy: UnencodablePolicy = { action: 'reject', replacement: '?', foldLookalikes: true, strictKsX1001 };
    for (let unit = 0; unit < 0x10000; unit++) {
      const char = String.fromCharCode(unit);
      const bytes = plainEucKrByteLength(char, strictKsX1001);
      if (bytes < 0) continue;
      assert.ok(unit < 0x300 || (unit >= 0xac00 && unit <= 0xd7a3), `U+${unit.toString(16)}`);
      assert.equal(char.normalize('NFC'), char);
      assert.equal(findUnencodable(char, policy).length, 0);
      assert.deepEqual(applyUnencodablePolicy(char, policy, 'body'), { ok: true, text: char, changed: [] });
      assert.equal(bytes, eucKrByteLength(char));
    }
  }
});

test('plain characters never compose or reorder with their neighbours, so a concatenation of plain texts is NFC', () => {
  const plain: string[] = [];
  for (let unit = 0; unit < 0x300; unit++) if (plainEucKrByteLength(String.fromCharCode(unit), false) >= 0) plain.push(String.fromCharCode(unit));
  const syllables: string[] = [];
  for (let unit = 0xac00; unit <= 0xd7a3; unit += 37) syllables.push(String.fromCharCode(unit));
  for (const a of plain) {
    for (const b of plain) assert.equal((a + b).normalize('NFC'), a + b);
    for (const b of syllables) {
      assert.equal((a + b).normalize('NFC'), a + b);
      assert.equal((b + a).normalize('NFC'), b + a);
    }
  }
  for (const a of syllables) for (const b of syllables) assert.equal((a + b).normalize('NFC'), a + b);
});
