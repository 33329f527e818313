import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OptOutList } from '../../src/store/opt-out-list.js';

/** The contract every OptOutList implementation keeps (CONVENTIONS C4); each store's test file calls it. */
export function describeOptOutList(name: string, make: () => Promise<{ list: OptOutList; cleanup: () => Promise<void> }>): void {
  describe(`OptOutList contract: ${name}`, () => {
    test('numbers are added, found in batches, and removed, per tenant', async () => {
      const { list, cleanup } = await make();
      try {
        assert.equal(await list.addOptOuts('tenant-a', ['+821011112222', '+821033334444']), 2);
        assert.equal(await list.addOptOuts('tenant-a', ['+821011112222', '+821055556666']), 1, 'adding a number twice counts once');
        assert.deepEqual(
          [...(await list.findOptedOut('tenant-a', ['+821011112222', '+821099990000', '+821055556666']))].sort(),
          ['+821011112222', '+821055556666'],
        );
        assert.deepEqual([...(await list.findOptedOut('tenant-b', ['+821011112222']))], [], 'another tenant has its own list');
        assert.equal(await list.removeOptOuts('tenant-a', ['+821011112222', '+821099990000']), 1);
        assert.deepEqual([...(await list.findOptedOut('tenant-a', ['+821011112222', '+821033334444']))], ['+821033334444']);
        assert.deepEqual([...(await list.findOptedOut('tenant-a', []))], []);
      } finally {
        await cleanup();
      }
    });
  });
}
