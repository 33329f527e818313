import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskPhoneNumbers } from '../../src/domain/mask-phone-numbers.js';

test('phone numbers in supplier texts keep their first three characters and last four digits', () => {
  assert.equal(maskPhoneNumbers('recipient +821098760002 has no KakaoTalk'), 'recipient +82****0002 has no KakaoTalk');
  assert.equal(maskPhoneNumbers('010-9876-5432 unreachable; 02 1234 5678 busy'), '010****5432 unreachable; 02 ****5678 busy');
  assert.equal(maskPhoneNumbers('subscriber 01098765432.'), 'subscriber 010****5432.');
});

test('texts without a run of 8 or more digits are kept as they are', () => {
  for (const text of ['', 'DELIVERED', 'error 1234567', 'code 4001 at 12:30', 'retry in 30 s']) assert.equal(maskPhoneNumbers(text), text);
});
