import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseTextChannel, type TextSizeLimits, type TextSizeRequest } from '../../../src/router/korean/choose-text-channel.js';

const LIMITS: TextSizeLimits = { smsMaxBytes: 90, lmsMaxBytes: 2000, subjectMaxBytes: 40 };
const sms = (body: string, lmsAllowed = true, subject = ''): TextSizeRequest => ({ channel: 'sms', body, subject, lmsAllowed });
const lms = (body: string, subject = ''): TextSizeRequest => ({ channel: 'lms', body, subject, lmsAllowed: true });

test('SMS at 89 and 90 bytes stays SMS; at 91 bytes, a Hangul syllable straddling 90, it becomes LMS whole', () => {
  const at89 = chooseTextChannel(sms('a'.repeat(87) + '가'), LIMITS);
  assert.deepEqual(at89, { ok: true, channel: 'sms', subject: '', bodyBytes: 89, subjectBytes: 0, upgradedToLms: false });
  const at90 = chooseTextChannel(sms('a'.repeat(88) + '가'), LIMITS);
  assert.deepEqual(at90, { ok: true, channel: 'sms', subject: '', bodyBytes: 90, subjectBytes: 0, upgradedToLms: false });
  // Bytes 90 and 91 are the two halves of 가: never cut between them.
  const body = 'a'.repeat(89) + '가';
  const at91 = chooseTextChannel(sms(body), LIMITS);
  assert.deepEqual(at91, { ok: true, channel: 'lms', subject: '', bodyBytes: 91, subjectBytes: 0, upgradedToLms: true });
});

test('all-Hangul and Hangul-then-ASCII texts at the SMS boundary', () => {
  const cases: [string, number, string][] = [
    ['가'.repeat(44) + 'a', 89, 'sms'],
    ['가'.repeat(45), 90, 'sms'],
    ['가'.repeat(45) + 'a', 91, 'lms'],
    ['a' + '가'.repeat(45), 91, 'lms'],
  ];
  for (const [body, bytes, channel] of cases) {
    const decision = chooseTextChannel(sms(body), LIMITS);
    assert.deepEqual(decision.ok ? [decision.bodyBytes, decision.channel] : decision.reason, [bytes, channel]);
  }
});

test('an SMS past its limit on a route without LMS is rejected with the byte count', () => {
  const body = '가'.repeat(45) + 'abcde';
  assert.deepEqual(chooseTextChannel(sms(body, false), LIMITS), {
    ok: false,
    code: 'BODY_TOO_LONG',
    reason: 'body is 95 bytes in EUC-KR; SMS allows 90 and this route does not allow LMS',
    bodyBytes: 95,
    subjectBytes: 0,
  });
});

test('LMS at 1999 and 2000 bytes goes; at 2001, with a syllable straddling 2000, it is rejected', () => {
  const at1999 = chooseTextChannel(lms('a'.repeat(1997) + '가'), LIMITS);
  assert.equal(at1999.ok && at1999.bodyBytes, 1999);
  const at2000 = chooseTextChannel(lms('가'.repeat(1000)), LIMITS);
  assert.deepEqual(at2000, { ok: true, channel: 'lms', subject: '', bodyBytes: 2000, subjectBytes: 0, upgradedToLms: false });
  assert.deepEqual(chooseTextChannel(lms('a'.repeat(1999) + '가'), LIMITS), {
    ok: false,
    code: 'BODY_TOO_LONG',
    reason: 'body is 2001 bytes in EUC-KR; LMS allows 2000',
    bodyBytes: 2001,
    subjectBytes: 0,
  });
});

test('an SMS that grows past the LMS limit too is rejected with the LMS limit', () => {
  const decision = chooseTextChannel(sms('가'.repeat(1000) + 'a'), LIMITS);
  assert.equal(decision.ok ? 'sent' : decision.reason, 'body is 2001 bytes in EUC-KR; LMS allows 2000');
});

test('LMS subject at 40 bytes goes, at 41 is rejected', () => {
  const at40 = chooseTextChannel(lms('본문', '가'.repeat(20)), LIMITS);
  assert.deepEqual(at40, { ok: true, channel: 'lms', subject: '가'.repeat(20), bodyBytes: 4, subjectBytes: 40, upgradedToLms: false });
  assert.deepEqual(chooseTextChannel(lms('본문', '가'.repeat(20) + 'a'), LIMITS), {
    ok: false,
    code: 'SUBJECT_TOO_LONG',
    reason: 'subject is 41 bytes in EUC-KR; LMS allows 40',
    bodyBytes: 4,
    subjectBytes: 41,
  });
});

test('an SMS sends no subject; once it becomes LMS its subject counts', () => {
  const short = chooseTextChannel(sms('인증번호 123456', true, '가'.repeat(30)), LIMITS);
  assert.deepEqual(short, { ok: true, channel: 'sms', subject: '', bodyBytes: 15, subjectBytes: 0, upgradedToLms: false });
  const long = chooseTextChannel(sms('가'.repeat(46), true, '가'.repeat(30)), LIMITS);
  assert.equal(long.ok ? 'sent' : long.reason, 'subject is 60 bytes in EUC-KR; LMS allows 40');
  const fine = chooseTextChannel(sms('가'.repeat(46), true, '안내'), LIMITS);
  assert.deepEqual(fine, { ok: true, channel: 'lms', subject: '안내', bodyBytes: 92, subjectBytes: 4, upgradedToLms: true });
});

test('MMS uses the LMS limits and names itself', () => {
  const decision = chooseTextChannel({ channel: 'mms', body: 'a'.repeat(2001), subject: '', lmsAllowed: false }, LIMITS);
  assert.equal(decision.ok ? 'sent' : decision.reason, 'body is 2001 bytes in EUC-KR; MMS allows 2000');
  const fits = chooseTextChannel({ channel: 'mms', body: 'a'.repeat(2000), subject: '사진', lmsAllowed: false }, LIMITS);
  assert.equal(fits.ok && fits.channel, 'mms');
});

test('limits come from config: an 80-byte carrier', () => {
  const decision = chooseTextChannel(sms('가'.repeat(41), false), { ...LIMITS, smsMaxBytes: 80 });
  assert.equal(decision.ok ? 'sent' : decision.reason, 'body is 82 bytes in EUC-KR; SMS allows 80 and this route does not allow LMS');
});
