import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHANNELS } from '../../../src/domain/channel.js';
import { countBillableUnits } from '../../../src/router/korean/count-billable-units.js';

test('every channel bills one unit per message: Korean carriers send long text as one LMS, not as several SMS', () => {
  for (const channel of CHANNELS) assert.equal(countBillableUnits(channel), 1, channel);
});
