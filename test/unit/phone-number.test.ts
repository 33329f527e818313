import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePhoneNumber } from '../../src/gateway/phone-number.js';

const KOREAN_MOBILE = '+821012345678';

test('Korean mobile numbers in domestic or E.164 form normalise to E.164', () => {
  const cases: [string, string][] = [
    ['010-1234-5678', KOREAN_MOBILE],
    ['01012345678', KOREAN_MOBILE],
    ['010 1234 5678', KOREAN_MOBILE],
    ['010.1234.5678', KOREAN_MOBILE],
    ['(010) 1234-5678', KOREAN_MOBILE],
    ['+821012345678', KOREAN_MOBILE],
    ['+82 10 1234 5678', KOREAN_MOBILE],
    ['+82-10-1234-5678', KOREAN_MOBILE],
    // Older carrier prefixes keep 7 or 8 subscriber digits.
    ['011-123-4567', '+82111234567'],
    ['016-1234-5678', '+821612345678'],
    ['+82 19 123 4567', '+82191234567'],
    // The same without separators (the compact form has a shortcut of its own).
    ['0111234567', '+82111234567'],
    ['01612345678', '+821612345678'],
    ['0191234567', '+82191234567'],
  ];
  for (const [raw, e164] of cases) {
    assert.deepEqual(normalizePhoneNumber(raw, false), { ok: true, e164 }, raw);
  }
});

test('numbers that are not Korean mobiles, or not phone numbers, are refused with the reason', () => {
  const notMobile = 'is not a valid Korean mobile number';
  const notPhone = 'is not a valid phone number';
  const cases: [string, string][] = [
    ['', notPhone],
    ['0101234', notMobile],
    ['0101234567', notMobile], // 010 needs 8 subscriber digits
    ['010123456789', notMobile],
    ['0212345678', notMobile], // Seoul landline
    ['031-123-4567', notMobile],
    ['+8201012345678', notMobile], // trunk 0 kept after +82
    ['+82212345678', notMobile],
    ['０１０１２３４５６７８', notPhone], // full-width digits
    ['٠١٠١٢٣٤٥٦٧٨', notPhone], // Arabic-Indic digits
    ['01012345678\n', notPhone],
    ['\t01012345678', notPhone],
    ['010\u00a01234\u00a05678', notPhone], // no-break space
    ['010\u30001234\u30005678', notPhone], // ideographic space
    ['010-1234-567x', notPhone],
    ['++821012345678', notPhone],
    ['82+1012345678', notPhone],
    ['1012345678', 'is not a valid phone number (use 010-1234-5678 or +821012345678)'],
    ['+1234567', 'is not a valid E.164 phone number'], // too short
    ['+1234567890123456', 'is not a valid E.164 phone number'], // too long
    ['+04155550100', 'is not a valid E.164 phone number'],
  ];
  for (const [raw, why] of cases) {
    assert.deepEqual(normalizePhoneNumber(raw, true), { ok: false, why }, JSON.stringify(raw));
  }
});

test('numbers outside Korea need the tenant to allow international sending', () => {
  assert.deepEqual(normalizePhoneNumber('+1 415 555 0100', false), {
    ok: false,
    why: 'is outside Korea and international sending is not enabled for this tenant',
  });
  assert.deepEqual(normalizePhoneNumber('+1 415 555 0100', true), { ok: true, e164: '+14155550100' });
  assert.deepEqual(normalizePhoneNumber('+81-90-1234-5678', true), { ok: true, e164: '+819012345678' });
  // +82 numbers are checked as Korean numbers whatever the tenant allows.
  assert.deepEqual(normalizePhoneNumber('+82212345678', true), { ok: false, why: 'is not a valid Korean mobile number' });
});
