import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageTooLongError, readConcatenation, splitIntoSegments, type Segment } from '../../../src/channels/smpp-segments.js';
import { decodeText, encodeText } from '../../../src/channels/smpp-text.js';
import { formatValidityPeriod } from '../../../src/channels/smpp-validity-period.js';

/** What a handset shows: the segments' payloads joined in order and decoded. */
function reassemble(segments: Segment[], dataCoding: number): string {
  const parts = segments.map((s) => readConcatenation(s.shortMessage));
  assert.ok(parts.every((p) => p !== null));
  return decodeText(Buffer.concat(parts.map((p) => p!.payload)), dataCoding);
}

test('UCS2 is UTF-16 big-endian, KS C 5601 is EUC-KR with Hangul in 2 bytes', () => {
  assert.equal(encodeText('가A', 'ucs2').toString('hex'), 'ac000041');
  assert.equal(encodeText('가A', 'ksc5601').toString('hex'), 'b0a141');
  assert.equal(decodeText(Buffer.from('ac000041', 'hex'), 8), '가A');
  assert.equal(decodeText(Buffer.from('b0a141', 'hex'), 0x0e), '가A');
});

test('text that fits 140 octets goes as one segment without UDH', () => {
  const text = '가'.repeat(70);
  const segments = splitIntoSegments(encodeText(text, 'ucs2'), 'ucs2', 1);
  assert.equal(segments.length, 1);
  assert.equal(segments[0]?.udhi, false);
  assert.equal(segments[0]?.shortMessage.length, 140);
});

test('long UCS2 text is split into 67-character segments behind a concatenation UDH', () => {
  const text = '안녕하세요 스위치보드입니다. '.repeat(20); // 320 characters
  const segments = splitIntoSegments(encodeText(text, 'ucs2'), 'ucs2', 42);
  assert.equal(segments.length, Math.ceil(text.length / 67));
  segments.forEach((s, i) => {
    assert.equal(s.udhi, true);
    assert.ok(s.shortMessage.length <= 140);
    assert.deepEqual([...s.shortMessage.subarray(0, 6)], [0x05, 0x00, 0x03, 42, segments.length, i + 1]);
  });
  assert.equal(reassemble(segments, 8), text);
});

test('a UCS2 surrogate pair is never cut between two segments', () => {
  const text = `${'가'.repeat(66)}😀${'나'.repeat(80)}`; // the emoji starts at unit 66: would straddle 67
  const segments = splitIntoSegments(encodeText(text, 'ucs2'), 'ucs2', 1);
  for (const s of segments) decodeText(readConcatenation(s.shortMessage)!.payload, 8).split('').forEach((c) => assert.notEqual(c, '\ufffd'));
  assert.equal(readConcatenation(segments[0]!.shortMessage)!.payload.length, 132);
  assert.equal(reassemble(segments, 8), text);
});

test('KS C 5601 text is cut only between characters, even after an odd number of ASCII bytes', () => {
  const text = `A${'한글'.repeat(150)}`; // 1 + 600 bytes: a naive 134-byte cut would halve a Hangul character
  const segments = splitIntoSegments(encodeText(text, 'ksc5601'), 'ksc5601', 9);
  for (const s of segments) {
    const payload = readConcatenation(s.shortMessage)!.payload;
    assert.ok(payload.length <= 134);
    assert.equal(decodeText(payload, 0x0e).includes('\ufffd'), false);
  }
  assert.equal(reassemble(segments, 0x0e), text);
});

test('more than 255 segments is refused', () => {
  assert.throws(() => splitIntoSegments(Buffer.alloc(134 * 256, 0x41), 'ksc5601', 1), MessageTooLongError);
});

test('readConcatenation reads the 16-bit reference IE too, and a UDH without concatenation', () => {
  assert.deepEqual(readConcatenation(Buffer.from('060804abcd0302ff', 'hex')), { reference: 0xabcd, total: 3, sequence: 2, payload: Buffer.from('ff', 'hex') });
  assert.deepEqual(readConcatenation(Buffer.from('0324010041', 'hex')), { reference: 0, total: 1, sequence: 1, payload: Buffer.from('41', 'hex') });
  assert.equal(readConcatenation(Buffer.from('09000301', 'hex')), null);
});

test('validity_period is the absolute SMPP time in UTC', () => {
  assert.equal(formatValidityPeriod(Date.UTC(2026, 10, 26, 10, 15, 30, 700)), '261126101530700+');
});
