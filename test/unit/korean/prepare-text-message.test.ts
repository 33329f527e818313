import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareTextMessage, type TextMessageRequest, type TextMessageRules } from '../../../src/router/korean/prepare-text-message.js';

const RULES: TextMessageRules = {
  unencodable: { action: 'reject', replacement: '?', foldLookalikes: true, strictKsX1001: false },
  limits: { smsMaxBytes: 90, lmsMaxBytes: 2000, subjectMaxBytes: 40 },
};
const ADVERTISING = { senderName: '스위치은행', optOutLine: '무료수신거부 080-123-4567' };
const REQUEST: TextMessageRequest = { channel: 'sms', kind: 'informational', body: '', subject: '', lmsAllowed: true, advertising: ADVERTISING };

test('an informational SMS that fits goes as it is, one billable unit', () => {
  assert.deepEqual(prepareTextMessage({ ...REQUEST, body: '[스위치은행] 인증번호 123456' }, RULES), {
    ok: true,
    channel: 'sms',
    body: '[스위치은행] 인증번호 123456',
    subject: '',
    bodyBytes: 28,
    subjectBytes: 0,
    upgradedToLms: false,
    billableUnits: 1,
    bodyChanges: [],
    subjectChanges: [],
  });
});

test('the advertising header and opt-out line count toward the limit: a 60-byte ad becomes LMS', () => {
  const body = '가'.repeat(30); // 60 bytes; with "(광고)스위치은행\n" (17) and "\n무료수신거부 080-123-4567" (26), 103
  const prepared = prepareTextMessage({ ...REQUEST, kind: 'advertising', body }, RULES);
  assert.equal(prepared.ok && prepared.body, `(광고)스위치은행\n${body}\n무료수신거부 080-123-4567`);
  assert.equal(prepared.ok && prepared.bodyBytes, 103);
  assert.equal(prepared.ok && prepared.channel, 'lms');
  const noLms = prepareTextMessage({ ...REQUEST, kind: 'advertising', body, lmsAllowed: false }, RULES);
  assert.deepEqual(noLms.ok ? 'sent' : [noLms.code, noLms.reason], [
    'BODY_TOO_LONG',
    'body is 103 bytes in EUC-KR; SMS allows 90 and this route does not allow LMS',
  ]);
});

test('positions in an unencodable rejection point into the client\'s text, not the advertising header', () => {
  const prepared = prepareTextMessage({ ...REQUEST, kind: 'advertising', body: '이벤트 😀' }, RULES);
  assert.deepEqual(prepared.ok ? 'sent' : [prepared.code, prepared.reason], [
    'UNENCODABLE_CHARACTERS',
    'body has 1 character EUC-KR cannot encode: U+1F600 at 4',
  ]);
});

test('advertising without the tenant\'s settings is refused', () => {
  const prepared = prepareTextMessage({ ...REQUEST, kind: 'advertising', body: '이벤트', advertising: null }, RULES);
  assert.equal(prepared.ok ? 'sent' : prepared.code, 'AD_SETTINGS_MISSING');
});

test('a subject an SMS does not send cannot stop it; once it becomes LMS it must be encodable', () => {
  const sms = prepareTextMessage({ ...REQUEST, body: '인증번호 123456', subject: '안내 😀' }, RULES);
  assert.equal(sms.ok && sms.subject, '');
  const lms = prepareTextMessage({ ...REQUEST, body: '가'.repeat(46), subject: '안내 😀' }, RULES);
  assert.equal(lms.ok ? 'sent' : lms.reason, 'subject has 1 character EUC-KR cannot encode: U+1F600 at 3');
});

test('folded and replaced characters are reported, and the bytes are those of the text sent', () => {
  const rules: TextMessageRules = { ...RULES, unencodable: { ...RULES.unencodable, action: 'replace' } };
  const prepared = prepareTextMessage({ ...REQUEST, channel: 'lms', body: '5\u00a0000원 👍', subject: '안내\u200d' }, rules);
  assert.deepEqual(prepared, {
    ok: true,
    channel: 'lms',
    body: '5 000원 ?',
    subject: '안내',
    bodyBytes: 9,
    subjectBytes: 4,
    upgradedToLms: false,
    billableUnits: 1,
    bodyChanges: [
      { codePoint: 0xa0, index: 1 },
      { codePoint: 0x1f44d, index: 7 },
    ],
    subjectChanges: [{ codePoint: 0x200d, index: 2 }],
  });
});

test("a caller's count of a plain body stands for counting it here; advertising text is counted again", () => {
  // The router passes a template's literal count plus its values' count, so the text is not scanned again.
  const body = '[카드승인] 김철수님 12,000원 승인'; // 33 bytes
  for (const plainBodyBytes of [33, -1]) {
    const prepared = prepareTextMessage({ ...REQUEST, body, plainBodyBytes }, RULES);
    assert.deepEqual(prepared, prepareTextMessage({ ...REQUEST, body }, RULES));
    assert.deepEqual(prepared.ok && [prepared.channel, prepared.bodyBytes], ['sms', 33]);
  }
  // "(광고)스위치은행\n" (17) and "\n무료수신거부 080-123-4567" (26) are added, and counted.
  const advertised = prepareTextMessage({ ...REQUEST, kind: 'advertising', body, plainBodyBytes: 33 }, RULES);
  assert.deepEqual(advertised.ok && [advertised.channel, advertised.bodyBytes], ['sms', 76]);
});
