import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { EucKrCharClass, eucKrCharClass } from '../../../src/router/korean/euc-kr-char-class.js';

const cp = (char: string): number => char.codePointAt(0) ?? -1;

test('ASCII is one byte; Hangul, symbols and hanja in KS X 1001 are two', () => {
  for (const char of ['a', '~', '\\', '\n', '\u0000', '\u007f']) assert.equal(eucKrCharClass(cp(char)), EucKrCharClass.SingleByte, char);
  // 가 B0A1, € A2E6 and ® A2E7 (added to KS X 1001 in 1998), ① A8E7, ideographic space A1A1, ㄱ A4A1, 韓 hanja.
  for (const char of ['가', '힝', '€', '®', '①', '\u3000', 'ㄱ', '·', '―', '￦', '韓']) {
    assert.equal(eucKrCharClass(cp(char)), EucKrCharClass.KsX1001, char);
  }
});

test('갂 and 뷁 are CP949 extensions, not KS X 1001', () => {
  assert.equal(eucKrCharClass(cp('갂')), EucKrCharClass.Cp949Extension); // 81 41
  assert.equal(eucKrCharClass(cp('뷁')), EucKrCharClass.Cp949Extension); // 94 EE
});

test('emoji, NBSP, ZWJ, U+202E, conjoining jamo, U+FFFD and lone surrogates are unencodable', () => {
  for (const codePoint of [0x1f600, 0x00a0, 0x200d, 0x202e, 0x1100, 0x1161, 0xfffd, 0xd800, 0xdfff, 0x20a9, 0x2013, 0x0080, 0x10ffff]) {
    assert.equal(eucKrCharClass(codePoint), EucKrCharClass.Unencodable, codePoint.toString(16));
  }
});

test('every precomposed Hangul syllable is encodable, 2,350 of them in KS X 1001', () => {
  let ksX1001 = 0;
  for (let codePoint = 0xac00; codePoint <= 0xd7a3; codePoint++) {
    const charClass = eucKrCharClass(codePoint);
    assert.ok(charClass === EucKrCharClass.KsX1001 || charClass === EucKrCharClass.Cp949Extension, codePoint.toString(16));
    if (charClass === EucKrCharClass.KsX1001) ksX1001++;
  }
  assert.equal(ksX1001, 2350);
});

test('the table agrees with a per-character iconv-lite round trip for the whole BMP', () => {
  const mismatches: string[] = [];
  for (let unit = 0; unit < 0x10000; unit++) {
    const char = String.fromCharCode(unit);
    const bytes = iconv.encode(char, 'euc-kr');
    let expected: EucKrCharClass = EucKrCharClass.Unencodable;
    if (unit >= 0xd800 && unit <= 0xdfff) expected = EucKrCharClass.Unencodable;
    else if (iconv.decode(bytes, 'euc-kr') !== char) expected = EucKrCharClass.Unencodable;
    else if (bytes.length === 1) expected = EucKrCharClass.SingleByte;
    else if ((bytes[0] ?? 0) >= 0xa1 && (bytes[1] ?? 0) >= 0xa1) expected = EucKrCharClass.KsX1001;
    else expected = EucKrCharClass.Cp949Extension;
    if (eucKrCharClass(unit) !== expected) mismatches.push(`U+${unit.toString(16)}`);
  }
  assert.deepEqual(mismatches, []);
});
