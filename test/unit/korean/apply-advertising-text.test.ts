import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyAdvertisingText, type AdvertisingSettings } from '../../../src/router/korean/apply-advertising-text.js';

const SETTINGS: AdvertisingSettings = { senderName: '스위치은행', optOutLine: '무료수신거부 080-123-4567' };
const textOf = (body: string, settings = SETTINGS): string => {
  const result = applyAdvertisingText(body, settings);
  return result.ok ? result.text : result.reason;
};

test('the mark and sender name open the text and the opt-out line closes it', () => {
  assert.deepEqual(applyAdvertisingText('가을 적금 특판 안내', SETTINGS), {
    ok: true,
    text: '(광고)스위치은행\n가을 적금 특판 안내\n무료수신거부 080-123-4567',
  });
});

test('applying it twice changes nothing', () => {
  const bodies = ['가을 적금 특판 안내', '(광고)스위치은행\n안내', '(광고) 안내', '  안내  \n', '', '안내\n무료수신거부 080-123-4567'];
  for (const body of bodies) {
    const once = textOf(body);
    assert.equal(textOf(once), once, JSON.stringify(body));
  }
});

test('a text that already carries the mark and name keeps them', () => {
  assert.equal(textOf('(광고)스위치은행 가을 이벤트'), '(광고)스위치은행 가을 이벤트\n무료수신거부 080-123-4567');
  assert.equal(textOf('(광고) 스위치은행 가을 이벤트'), '(광고) 스위치은행 가을 이벤트\n무료수신거부 080-123-4567');
  assert.equal(textOf('  (광고)스위치은행 이벤트'), '(광고)스위치은행 이벤트\n무료수신거부 080-123-4567');
});

test('a text with the mark but not the sender name gets the name after the mark', () => {
  assert.equal(textOf('(광고) 가을 이벤트'), '(광고)스위치은행\n가을 이벤트\n무료수신거부 080-123-4567');
});

test('a variant mark does not count as the mark', () => {
  assert.equal(textOf('[광고] 이벤트'), '(광고)스위치은행\n[광고] 이벤트\n무료수신거부 080-123-4567');
  assert.equal(textOf('(광 고) 이벤트'), '(광고)스위치은행\n(광 고) 이벤트\n무료수신거부 080-123-4567');
});

test('a text that already ends with the opt-out line keeps it, trailing blanks aside', () => {
  assert.equal(textOf('안내\n무료수신거부 080-123-4567\n'), '(광고)스위치은행\n안내\n무료수신거부 080-123-4567\n');
  assert.equal(textOf('안내   '), '(광고)스위치은행\n안내\n무료수신거부 080-123-4567');
});

test('a decomposed (NFD) mark is recognised', () => {
  assert.equal(textOf('(광고)스위치은행\n안내'.normalize('NFD')), '(광고)스위치은행\n안내\n무료수신거부 080-123-4567');
});

test('a tenant without a sender name or opt-out line cannot send advertising', () => {
  assert.deepEqual(applyAdvertisingText('안내', { ...SETTINGS, senderName: ' ' }), {
    ok: false,
    code: 'AD_SETTINGS_MISSING',
    reason: 'advertising needs a sender name after "(광고)", and the tenant has none configured',
  });
  assert.deepEqual(applyAdvertisingText('안내', { ...SETTINGS, optOutLine: '' }), {
    ok: false,
    code: 'AD_SETTINGS_MISSING',
    reason: 'advertising needs a free opt-out line, and the tenant has none configured',
  });
});
