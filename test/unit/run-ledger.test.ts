import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryState, type DeliveryReport } from '../../src/gen/switchboard/provider/v1/provider.js';
import { createRunLedger } from '../../src/provider-check/run-ledger.js';

function delivery(messageId: string, providerRef: string): DeliveryReport {
  return { messageId, providerRef, state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: '', doneAtMs: 1 };
}

test('reports are the run\'s by message id prefix or by a ref it was given; others are counted as foreign', () => {
  const ledger = createRunLedger('pc-1');
  ledger.noteSubmitted('pc-1-a-1');
  ledger.noteAnswer({ messageId: 'pc-1-a-1', outcome: { $case: 'accepted', value: { providerRef: 'ref-1' } } });

  ledger.noteDelivery('r1', delivery('pc-1-a-1', 'ref-1'));
  ledger.noteDelivery('r2', delivery('renamed', 'ref-1')); // wrong id, but our ref: ours, to be judged
  ledger.noteDelivery('r3', delivery('someone-else', 'ref-9'));

  assert.equal(ledger.foreignReports(), 1);
  assert.deepEqual(ledger.deliveries.map((d) => d.reportId), ['r1', 'r2']);
});

test('a report that came before the answer giving its ref is the run\'s once the answer is in', () => {
  const ledger = createRunLedger('pc-2');
  ledger.noteDelivery('early', delivery('renamed', 'ref-7'));
  assert.equal(ledger.foreignReports(), 1);

  ledger.noteAnswer({ messageId: 'pc-2-a-1', outcome: { $case: 'accepted', value: { providerRef: 'ref-7' } } });

  assert.equal(ledger.foreignReports(), 0);
  assert.deepEqual(ledger.deliveries.map((d) => d.reportId), ['early']);
});

test('the first accepted ref sticks; a rejection after an acceptance does not unaccept', () => {
  const ledger = createRunLedger('pc-3');
  ledger.noteAnswer({ messageId: 'm', outcome: { $case: 'accepted', value: { providerRef: 'first' } } });
  ledger.noteAnswer({ messageId: 'm', outcome: { $case: 'accepted', value: { providerRef: 'second' } } });
  ledger.noteAnswer({ messageId: 'm', outcome: { $case: 'rejected', value: { code: 'X', reason: '', retryable: false } } });
  ledger.noteAnswer({ messageId: 'n', outcome: { $case: 'rejected', value: { code: 'X', reason: '', retryable: false } } });

  assert.equal(ledger.accepted.get('m'), 'first');
  assert.deepEqual([...ledger.rejected], ['n']);
});
