import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findUnencodable, isEucKrEncodable } from '../../../src/router/korean/find-unencodable.js';

const CP949 = { strictKsX1001: false };
const STRICT = { strictKsX1001: true };

test('encodable text has nothing to report', () => {
  assert.deepEqual(findUnencodable('', CP949), []);
  assert.deepEqual(findUnencodable('[스위치은행] 인증번호 123456 (3분 이내 입력) €①※', STRICT), []);
  assert.deepEqual(findUnencodable('갂뷁', CP949), []);
});

test('each D5 input is found, with its code point and its position in code points', () => {
  assert.deepEqual(findUnencodable('결제 😀 완료', CP949), [{ codePoint: 0x1f600, index: 3 }]);
  assert.deepEqual(findUnencodable('5\u00a0000원', CP949), [{ codePoint: 0xa0, index: 1 }]);
  assert.deepEqual(findUnencodable('a\u200db', CP949), [{ codePoint: 0x200d, index: 1 }]);
  assert.deepEqual(findUnencodable('\u202e입금', CP949), [{ codePoint: 0x202e, index: 0 }]);
  assert.deepEqual(findUnencodable('x\ud800y', CP949), [{ codePoint: 0xd800, index: 1 }]);
  assert.deepEqual(findUnencodable('x\udfff', CP949), [{ codePoint: 0xdfff, index: 1 }]);
  // An emoji counts as one position: the NBSP after two emoji is at 2, not 4.
  assert.deepEqual(findUnencodable('😀😀\u00a0', CP949), [
    { codePoint: 0x1f600, index: 0 },
    { codePoint: 0x1f600, index: 1 },
    { codePoint: 0xa0, index: 2 },
  ]);
});

test('NFD Hangul is unencodable as it stands: composing it is the caller\'s job', () => {
  const nfd = '한'.normalize('NFD'); // U+1112 U+1161 U+11AB
  assert.equal(findUnencodable(nfd, CP949).length, 3);
  assert.deepEqual(findUnencodable(nfd.normalize('NFC'), CP949), []);
});

test('갂 and 뷁 pass CP949 and are refused by strict KS X 1001', () => {
  assert.deepEqual(findUnencodable('갂뷁', STRICT), [
    { codePoint: 0xac02, index: 0 },
    { codePoint: 0xbdc1, index: 1 },
  ]);
  assert.equal(isEucKrEncodable(0xac02, CP949), true);
  assert.equal(isEucKrEncodable(0xac02, STRICT), false);
  assert.equal(isEucKrEncodable(0xac00, STRICT), true);
});
