import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkVariable } from '../../src/config/variable-types.js';

test('typed template variables accept their form and name what is wrong otherwise', () => {
  const ok: [Parameters<typeof checkVariable>[0], string][] = [
    ['string', '{{anything}} 가'],
    ['number', '42'],
    ['number', '-3.5'],
    ['amount', '12000'],
    ['amount', '1,234,567'],
    ['amount', '0'],
    ['date', '2026-11-26'],
    ['date', '2024-02-29 23:59'],
  ];
  for (const [type, value] of ok) assert.equal(checkVariable(type, value), null, `${type} ${value}`);
  const bad: [Parameters<typeof checkVariable>[0], string][] = [
    ['number', ''],
    ['number', '1e3'],
    ['number', '12,000'],
    ['amount', '12.5'],
    ['amount', '-100'],
    ['amount', '1,23,000'],
    ['amount', '12000원'],
    ['date', '2026-02-30'],
    ['date', '2025-02-29'],
    ['date', '26-11-26'],
    ['date', '2026-11-26 24:00'],
  ];
  for (const [type, value] of bad) assert.match(checkVariable(type, value) ?? 'accepted', new RegExp(`^must be .*; got ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `${type} ${value}`);
});
