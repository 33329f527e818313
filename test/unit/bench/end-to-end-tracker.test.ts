import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndToEndTracker } from '../../../bench/lib/end-to-end-tracker.js';

test('end-to-end tracker: matches an ack and an arrival in either order, and counts acked messages still on their way', () => {
  const tracker = new EndToEndTracker();
  tracker.acked('a', 100);
  tracker.acked('b', 100);
  assert.equal(tracker.waiting, 2);
  tracker.received('a', 130); // arrival after the ack
  tracker.received('c', 150); // arrival before the ack
  assert.equal(tracker.waiting, 1);
  tracker.acked('c', 110);
  assert.equal(tracker.waiting, 1, 'b has not arrived');
  assert.equal(tracker.histogram.count, 2);
  assert.equal(tracker.histogram.percentileMs(100), 40);
});
