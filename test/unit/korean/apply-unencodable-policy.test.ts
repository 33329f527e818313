import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { applyUnencodablePolicy, LOOKALIKE_FOLDS, type UnencodablePolicy } from '../../../src/router/korean/apply-unencodable-policy.js';
import { findUnencodable } from '../../../src/router/korean/find-unencodable.js';

const REJECT: UnencodablePolicy = { action: 'reject', replacement: '?', foldLookalikes: false, strictKsX1001: false };
const REJECT_FOLDING: UnencodablePolicy = { ...REJECT, foldLookalikes: true };
const REPLACE: UnencodablePolicy = { action: 'replace', replacement: '?', foldLookalikes: true, strictKsX1001: false };

/** What a carrier would receive: the text must survive EUC-KR unchanged. */
function assertSurvivesEucKr(text: string): void {
  assert.equal(iconv.decode(iconv.encode(text, 'euc-kr'), 'euc-kr'), text);
}

test('encodable text passes unchanged, with nothing reported', () => {
  const result = applyUnencodablePolicy('[스위치은행] 인증번호 123456', REJECT, 'body');
  assert.deepEqual(result, { ok: true, text: '[스위치은행] 인증번호 123456', changed: [] });
});

test('NFD Hangul is composed first, so it is encodable under every policy', () => {
  const nfd = '입금 완료'.normalize('NFD');
  assert.notEqual(nfd, '입금 완료');
  for (const policy of [REJECT, REPLACE, { ...REJECT, strictKsX1001: true }]) {
    assert.deepEqual(applyUnencodablePolicy(nfd, policy, 'body'), { ok: true, text: '입금 완료', changed: [] });
  }
});

test('reject names each character by code point and position', () => {
  assert.deepEqual(applyUnencodablePolicy('결제가 완료됐어요 😀', REJECT, 'body'), {
    ok: false,
    code: 'UNENCODABLE_CHARACTERS',
    reason: 'body has 1 character EUC-KR cannot encode: U+1F600 at 10',
    unencodable: [{ codePoint: 0x1f600, index: 10 }],
  });
  const cases: [string, string][] = [
    ['5\u00a0000원', 'body has 1 character EUC-KR cannot encode: U+00A0 at 1'],
    ['a\u200db', 'body has 1 character EUC-KR cannot encode: U+200D at 1'],
    ['\u202e입금', 'body has 1 character EUC-KR cannot encode: U+202E at 0'],
    ['x\ud800y', 'body has 1 character EUC-KR cannot encode: U+D800 at 1'],
    ['😀 \u00a0', 'body has 2 characters EUC-KR cannot encode: U+1F600 at 0, U+00A0 at 2'],
  ];
  for (const [text, reason] of cases) {
    const result = applyUnencodablePolicy(text, REJECT, 'body');
    assert.equal(result.ok ? 'passed' : result.reason, reason, JSON.stringify(text));
  }
});

test('reject names at most five characters and counts the rest', () => {
  const result = applyUnencodablePolicy('😀'.repeat(7), REJECT, 'subject');
  assert.equal(
    result.ok ? 'passed' : result.reason,
    'subject has 7 characters EUC-KR cannot encode: U+1F600 at 0, U+1F600 at 1, U+1F600 at 2, U+1F600 at 3, U+1F600 at 4, and 2 more',
  );
  assert.equal(result.ok ? 0 : result.unencodable.length, 7);
});

test('갂 and 뷁 pass by default and are rejected under strict KS X 1001', () => {
  assert.deepEqual(applyUnencodablePolicy('갂뷁', REJECT, 'body'), { ok: true, text: '갂뷁', changed: [] });
  const strict = applyUnencodablePolicy('똠방각하 뷁', { ...REJECT, strictKsX1001: true }, 'body');
  assert.equal(strict.ok ? 'passed' : strict.reason, 'body has 2 characters outside KS X 1001 (strict EUC-KR): U+B620 at 0, U+BDC1 at 5');
});

test('folding makes NBSP, ZWJ and U+202E harmless and leaves emoji to the rule', () => {
  assert.deepEqual(applyUnencodablePolicy('5\u00a0000원\u200d \u202e입금 ₩10', REJECT_FOLDING, 'body'), {
    ok: true,
    text: '5 000원 입금 ￦10',
    changed: [
      { codePoint: 0xa0, index: 1 },
      { codePoint: 0x200d, index: 6 },
      { codePoint: 0x202e, index: 8 },
      { codePoint: 0x20a9, index: 12 },
    ],
  });
  const emoji = applyUnencodablePolicy('입금\u00a0😀', REJECT_FOLDING, 'body');
  assert.equal(emoji.ok ? 'passed' : emoji.reason, 'body has 1 character EUC-KR cannot encode: U+1F600 at 3');
});

test('every fold target is ASCII or KS X 1001', () => {
  for (const [from, to] of LOOKALIKE_FOLDS) {
    assert.deepEqual(findUnencodable(to, { strictKsX1001: true }), [], `U+${from.toString(16)}`);
    assert.equal(findUnencodable(String.fromCodePoint(from), { strictKsX1001: false }).length, 1, `U+${from.toString(16)} is unencodable`);
  }
});

test('replace puts one replacement per unencodable grapheme', () => {
  const cases: [string, string][] = [
    ['결제 완료 😀', '결제 완료 ?'],
    ['가족 👨‍👩‍👧 사진', '가족 ? 사진'], // ZWJ family: one grapheme, one '?'
    ['🇰🇷 대한민국', '? 대한민국'], // a flag is two regional indicators
    ['❤️ 감사', '? 감사'], // heart plus variation selector
    ['1️⃣번', '1?번'], // keycap: the digit stays
    ['x\ud800y', 'x?y'],
    ['5\u00a0000원 — 입금', '5 000원 - 입금'], // folded, nothing replaced
  ];
  for (const [text, expected] of cases) {
    const result = applyUnencodablePolicy(text, REPLACE, 'body');
    assert.equal(result.ok ? result.text : result.reason, expected, JSON.stringify(text));
    assertSurvivesEucKr(expected);
  }
});

test('replace reports what it changed, so nothing is changed silently', () => {
  const result = applyUnencodablePolicy('a😀b', REPLACE, 'body');
  assert.deepEqual(result, { ok: true, text: 'a?b', changed: [{ codePoint: 0x1f600, index: 1 }] });
});

test('replace with an empty replacement drops, and without folding replaces ZWJ and NBSP too', () => {
  const drop = applyUnencodablePolicy('완료😀!', { ...REPLACE, replacement: '' }, 'body');
  assert.equal(drop.ok ? drop.text : drop.reason, '완료!');
  const noFold = applyUnencodablePolicy('a\u00a0b\u200dc', { ...REPLACE, foldLookalikes: false }, 'body');
  assert.equal(noFold.ok ? noFold.text : noFold.reason, 'a?b?c');
});

test('strict replace also replaces CP949-only syllables', () => {
  const result = applyUnencodablePolicy('뷁!', { ...REPLACE, strictKsX1001: true }, 'body');
  assert.equal(result.ok ? result.text : result.reason, '?!');
});

test('a replacement that is itself unencodable is a configuration error, not mojibake', () => {
  assert.throws(() => applyUnencodablePolicy('a😀', { ...REPLACE, replacement: '🙂' }, 'body'), {
    name: 'RangeError',
    message: 'the replacement for unencodable characters must be encodable, got U+1F642',
  });
});
