import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AcceptedMessage, MessagePriority } from '../../src/domain/message.js';
import type { StatusEvent } from '../../src/domain/status-event.js';
import { MAX_HISTORY_EVENTS, type MessageStore } from '../../src/store/store.js';
import { timeoutSignal } from '../helpers/timeout-signal.js';

/** Builds a fresh, empty store for one test; maxQueuedMessages is the queue limit to configure. */
export type MakeStore = (options: { maxQueuedMessages: number }) => Promise<{ store: MessageStore; cleanup: () => Promise<void> }>;

let counter = 0;

export function makeAccepted(fields: Partial<AcceptedMessage> = {}): AcceptedMessage {
  const now = Date.now();
  return {
    messageId: `m-test-${process.pid}-${counter++}`,
    tenant: 'tenant-a',
    clientRef: '',
    recipient: '+821012345678',
    sender: '15880000',
    templateId: 'welcome',
    variables: { name: 'Kim' },
    body: '',
    subject: '',
    kind: 'informational',
    nightConsent: false,
    priority: 'normal',
    channel: null,
    acceptedAtMs: now,
    expiresAtMs: now + 60_000,
    tags: ['t1'],
    ...fields,
  };
}

export function makeEvent(messageId: string, state: StatusEvent['state'], fields: Partial<StatusEvent> = {}): StatusEvent {
  return { messageId, state, atMs: Date.now(), channel: null, providerId: '', providerRef: '', code: '', reason: '', billableUnits: 0, ...fields };
}

async function accept(store: MessageStore, fields: Partial<AcceptedMessage> = {}): Promise<string> {
  const [outcome] = await store.enqueue([makeAccepted(fields)]);
  assert.equal(outcome?.kind, 'accepted');
  return outcome.kind === 'accepted' ? outcome.messageId : '';
}

/** Claims until `count` messages came back (or fails after a bounded number of tries). */
async function claimAll(store: MessageStore, count: number) {
  const claimed = [];
  for (let tries = 0; claimed.length < count && tries < 50; tries++) {
    claimed.push(...(await store.claim(count - claimed.length, timeoutSignal(2000))));
  }
  return claimed;
}

/**
 * The contract every MessageStore implementation keeps (CONVENTIONS C4). Each implementation's
 * test file calls this with a factory; nothing here knows which store it is testing.
 */
/** Lease of taken report deadlines in tests that do not test it: longer than any test clock. */
const LEASE = 1_000_000_000;

export function describeStore(name: string, makeStore: MakeStore): void {
  describe(`MessageStore contract: ${name}`, () => {
    const withStore = (title: string, body: (store: MessageStore) => Promise<void>, maxQueuedMessages = 1_000_000): void => {
      test(title, async () => {
        const { store, cleanup } = await makeStore({ maxQueuedMessages });
        try {
          await body(store);
        } finally {
          await cleanup();
        }
      });
    };

    withStore('enqueued messages are claimed with the id enqueue returned, urgent before normal before bulk', async (store) => {
      const ids: Record<MessagePriority, string> = {
        bulk: await accept(store, { priority: 'bulk' }),
        normal: await accept(store, { priority: 'normal' }),
        urgent: await accept(store, { priority: 'urgent' }),
      };
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [claimed] = await claimAll(store, 1);
        assert.equal(claimed?.deliveryCount, 1);
        order.push(claimed?.message.messageId ?? '');
      }
      assert.deepEqual(order, [ids.urgent, ids.normal, ids.bulk]);
    });

    withStore('a repeated client_ref of a tenant is a duplicate carrying the first id; other tenants may reuse it', async (store) => {
      const first = await accept(store, { clientRef: 'ref-1' });
      const outcomes = await store.enqueue([
        makeAccepted({ clientRef: 'ref-1' }),
        makeAccepted({ clientRef: 'ref-1', tenant: 'tenant-b' }),
        makeAccepted({ clientRef: 'ref-2' }),
        makeAccepted({ clientRef: 'ref-2' }),
      ]);
      assert.deepEqual(outcomes[0], { kind: 'duplicate', messageId: first });
      assert.equal(outcomes[1]?.kind, 'accepted');
      assert.equal(outcomes[2]?.kind, 'accepted');
      assert.deepEqual(outcomes[3], { kind: 'duplicate', messageId: outcomes[2]?.kind === 'accepted' ? outcomes[2].messageId : '' });
      assert.equal((await claimAll(store, 3)).length, 3);
    });

    withStore('a repeated client_ref with a different message is a conflict carrying the first id, and nothing of it is stored (D7)', async (store) => {
      const first = await accept(store, { clientRef: 'card-77' });
      const outcomes = await store.enqueue([
        makeAccepted({ clientRef: 'card-77', recipient: '+821099998888' }),
        makeAccepted({ clientRef: 'card-77', variables: { name: 'Lee' } }),
        makeAccepted({ clientRef: 'card-77', templateId: '', body: 'hello', variables: {} }),
        makeAccepted({ clientRef: 'card-77', kind: 'advertising' }),
        makeAccepted({ clientRef: 'card-77', channel: 'lms' }),
        makeAccepted({ clientRef: 'card-77', sender: '15889999' }),
        makeAccepted({ clientRef: 'card-77', nightConsent: true }),
        // How it is handled may change on a retry: still the same message.
        makeAccepted({ clientRef: 'card-77', priority: 'urgent', tags: ['other'], expiresAtMs: Date.now() + 1000 }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        ['conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'conflict', 'duplicate'],
      );
      assert.ok(outcomes.every((o) => o.kind !== 'queue-full' && o.messageId === first), JSON.stringify(outcomes));
      // Variables compare by name and value, not by the order they came in.
      const [reordered] = await store.enqueue([makeAccepted({ clientRef: 'vars-1', variables: { a: '1', b: '2' } })]);
      const [again] = await store.enqueue([makeAccepted({ clientRef: 'vars-1', variables: { b: '2', a: '1' } })]);
      assert.deepEqual(again, { kind: 'duplicate', messageId: reordered?.kind === 'accepted' ? reordered.messageId : '' });
      assert.equal((await claimAll(store, 2)).length, 2);
      assert.deepEqual(await store.claim(10, timeoutSignal(300)), [], 'only the two first messages were queued');
    });

    withStore('the queue refuses messages past its limit and nothing of them is stored', async (store) => {
      const outcomes = await store.enqueue([makeAccepted(), makeAccepted(), makeAccepted()]);
      assert.deepEqual(outcomes.map((o) => o.kind), ['accepted', 'accepted', 'queue-full']);
    }, 2);

    withStore('retryLater hands a message out again later with its delivery count raised; complete removes it', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      assert.ok(claimed);
      await store.retryLater([claimed], 50);
      const [again] = await claimAll(store, 1);
      assert.equal(again?.message.messageId, id);
      assert.equal(again?.deliveryCount, 2);
      await store.complete([id]);
      assert.deepEqual(await store.claim(10, timeoutSignal(300)), []);
    });

    withStore('claim waits for a message and returns [] when its signal aborts', async (store) => {
      const controller = new AbortController();
      const waiting = store.claim(10, controller.signal);
      setTimeout(() => controller.abort(), 100);
      assert.deepEqual(await waiting, []);
      const waitingForOne = store.claim(10, timeoutSignal(5000));
      const id = await accept(store);
      assert.deepEqual((await waitingForOne).map((c) => c.message.messageId), [id]);
    });

    withStore('status events apply only forward; duplicates, stale and unknown events are reported as such', async (store) => {
      const id = await accept(store);
      const outcomes = await store.recordEvents([
        { event: makeEvent(id, 'routed', { channel: 'sms', providerId: 'p1' }), dedupKey: '' },
        { event: makeEvent(id, 'delivered', { providerId: 'p1' }), dedupKey: 'report:p1:r1' },
        { event: makeEvent(id, 'submitted', { providerRef: 'ref' }), dedupKey: '' },
        { event: makeEvent(id, 'failed'), dedupKey: 'report:p1:r2' },
        { event: makeEvent(id, 'delivered'), dedupKey: 'report:p1:r1' },
        { event: makeEvent(`${id}-nope`, 'delivered'), dedupKey: '' },
      ]);
      assert.deepEqual(outcomes, ['applied', 'applied', 'stale', 'stale', 'duplicate', 'unknown-message']);
      const status = await store.getStatus('tenant-a', id);
      assert.equal(status?.state, 'delivered');
      // Stale events stay on record without moving the state (the overtaken SUBMITTED before the
      // final state, the late FAILED after it); the duplicate does not.
      assert.deepEqual(status?.history.map((e) => e.state), ['accepted', 'routed', 'submitted', 'delivered', 'failed']);
      assert.deepEqual(status?.tags, ['t1']);
      assert.equal(await store.getStatus('tenant-b', id), undefined);
      assert.equal(await store.getTenantOf(id), 'tenant-a');
    });

    withStore('a stale repeat of the current state is not kept, and late reports stop being kept at MAX_HISTORY_EVENTS', async (store) => {
      const id = await accept(store);
      await store.recordEvents([{ event: makeEvent(id, 'routed'), dedupKey: '' }, { event: makeEvent(id, 'routed'), dedupKey: '' }, { event: makeEvent(id, 'delivered'), dedupKey: '' }]);
      assert.deepEqual((await store.getStatus('tenant-a', id))?.history.map((e) => e.state), ['accepted', 'routed', 'delivered']);
      const late = Array.from({ length: MAX_HISTORY_EVENTS + 5 }, (_, i) => ({ event: makeEvent(id, 'failed', { code: `LATE_${i}` }), dedupKey: '' }));
      assert.ok((await store.recordEvents(late)).every((o) => o === 'stale'));
      const status = await store.getStatus('tenant-a', id);
      assert.equal(status?.state, 'delivered');
      assert.equal(status?.history.length, MAX_HISTORY_EVENTS);
      assert.equal(status?.history.at(-1)?.code, `LATE_${MAX_HISTORY_EVENTS - 4}`);
    });

    withStore('a read that stops inside one write resumes with the next report, none skipped or repeated', async (store) => {
      const outcomes = await store.enqueue([makeAccepted({ clientRef: 'w-1' }), makeAccepted({ clientRef: 'w-2' }), makeAccepted({ clientRef: 'w-3' })]);
      const ids = outcomes.map((o) => (o.kind === 'accepted' ? o.messageId : ''));
      const firstTwo = await store.readReports('tenant-a', 'oldest', 2, timeoutSignal(2000));
      assert.deepEqual(firstTwo.map((r) => r.status?.messageId), ids.slice(0, 2));
      const rest = await store.readReports('tenant-a', firstTwo[1]?.cursor ?? '', 10, timeoutSignal(2000));
      assert.deepEqual(rest.map((r) => r.status?.messageId), ids.slice(2));
      assert.deepEqual(rest.map((r) => r.status?.clientRef), ['w-3']);
    });

    withStore('reports are read in order from the oldest, resumed after a cursor, and only for their tenant', async (store) => {
      const a = await accept(store, { clientRef: 'a-1' });
      await accept(store, { tenant: 'tenant-b' });
      await store.recordEvents([{ event: makeEvent(a, 'routed'), dedupKey: '' }]);
      const reports = await store.readReports('tenant-a', 'oldest', 100, timeoutSignal(2000));
      assert.deepEqual(reports.map((r) => r.status?.state), ['accepted', 'routed']);
      assert.ok(reports.every((r) => r.status?.messageId === a && r.status.clientRef === 'a-1'));
      const first = reports[0]?.cursor ?? '';
      const resumed = await store.readReports('tenant-a', first, 100, timeoutSignal(2000));
      assert.deepEqual(resumed.map((r) => r.status?.state), ['routed']);

      const latest = await store.latestCursor('tenant-a');
      const waiting = store.readReports('tenant-a', latest, 100, timeoutSignal(5000));
      await store.recordInbound([
        {
          event: { tenant: 'tenant-a', providerId: 'p1', channel: 'sms', from: '+821099998888', to: '15880000', body: 'STOP', inReplyToMessageId: a, receivedAtMs: 1 },
          dedupKey: 'report:p1:in-1',
        },
      ]);
      const next = await waiting;
      assert.equal(next.length, 1);
      assert.equal(next[0]?.inbound?.body, 'STOP');
      // The same inbound report again (a provider resend) is dropped.
      await store.recordInbound([
        { event: { tenant: 'tenant-a', providerId: 'p1', channel: 'sms', from: '+821099998888', to: '15880000', body: 'STOP', inReplyToMessageId: a, receivedAtMs: 1 }, dedupKey: 'report:p1:in-1' },
      ]);
      assert.deepEqual(await store.readReports('tenant-a', next[0]?.cursor ?? '', 100, timeoutSignal(300)), []);
    });

    withStore('a fallback plan is taken once per failed attempt; a repeated or earlier attempt is superseded', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      assert.equal(claimed?.message.messageId, id);
      const message = claimed!.message;
      const first = { message, channel: 'alimtalk' as const, next: ['lms' as const], step: 0, routeName: 'kakao-first' };
      assert.deepEqual(await store.takeFallbackPlans([{ messageId: id, attempt: 'kakao\u0000r1' }]), [{ kind: 'none' }], 'no plan kept yet');
      await store.keepFallbackPlans([first]);
      // The same failure reported twice in one batch: the first takes the plan, the second is superseded.
      assert.deepEqual(
        await store.takeFallbackPlans([
          { messageId: id, attempt: 'kakao\u0000r1' },
          { messageId: id, attempt: 'kakao\u0000r1' },
          { messageId: 'unknown.0', attempt: 'kakao\u0000r1' },
        ]),
        [{ kind: 'plan', plan: first }, { kind: 'superseded' }, { kind: 'none' }],
      );
      // The next step keeps its own plan; a late copy of the first failure stays superseded, the new attempt takes it.
      const second = { message, channel: 'lms' as const, next: [], step: 1, routeName: 'kakao-first' };
      await store.keepFallbackPlans([second]);
      assert.deepEqual(await store.takeFallbackPlans([{ messageId: id, attempt: 'kakao\u0000r1' }]), [{ kind: 'superseded' }]);
      assert.deepEqual(await store.takeFallbackPlans([{ messageId: id, attempt: 'sms\u0000r2' }]), [{ kind: 'plan', plan: second }]);
      assert.deepEqual(await store.takeFallbackPlans([{ messageId: id, attempt: 'sms\u0000r3' }]), [{ kind: 'none' }], 'taken already, nothing kept');
    });

    withStore('report deadlines: taken once when due, dropped by a final report; a late report after the take is late once, then superseded', async (store) => {
      const ids = [await accept(store), await accept(store), await accept(store), await accept(store)];
      const claimed = await claimAll(store, 4);
      const plans = claimed.map(({ message }) => ({ message, channel: 'alimtalk' as const, next: [], step: 0, routeName: '' }));
      await store.keepFallbackPlans(plans);
      const [a, b, c, d] = ids as [string, string, string, string];
      await store.keepReportDeadlines([
        { messageId: a, attempt: 'kakao\u0000r1', dueMs: 1_000 },
        { messageId: b, attempt: 'kakao\u0000r2', dueMs: 2_000 },
        { messageId: c, attempt: 'kakao\u0000r3', dueMs: 3_000 },
        { messageId: d, attempt: 'kakao\u0000r4', dueMs: 1_500 },
      ]);
      assert.deepEqual(await store.takeOverdueAttempts(999, 100, LEASE), [], 'nothing due yet');
      // b is delivered in time: its deadline goes; c's report was lost and comes only after the take.
      assert.deepEqual(await store.settleAttempts([{ messageId: b, attempt: 'kakao\u0000r2', failed: false, reportId: '' }]), [{ kind: 'none' }]);
      const due = await store.takeOverdueAttempts(2_500, 100, LEASE);
      assert.deepEqual(
        due.map((o) => [o.messageId, o.attempt, o.dueMs]).sort(),
        [
          [a, 'kakao\u0000r1', 1_000],
          [d, 'kakao\u0000r4', 1_500],
        ].sort(),
      );
      assert.deepEqual(due.find((o) => o.messageId === a)?.plan, plans[claimed.findIndex((x) => x.message.messageId === a)]);
      assert.deepEqual(await store.takeOverdueAttempts(2_500, 100, LEASE), [], 'each deadline is taken once');
      // a's supplier reports after all (twice): the first copy is late, the resend superseded; another attempt is not affected.
      assert.deepEqual(
        await store.settleAttempts([
          { messageId: a, attempt: 'kakao\u0000r1', failed: false, reportId: '' },
          { messageId: a, attempt: 'kakao\u0000r1', failed: false, reportId: '' },
          { messageId: a, attempt: 'kakao-b\u0000r9', failed: true, reportId: '' },
        ]),
        [{ kind: 'late' }, { kind: 'superseded' }, { kind: 'none' }],
      );
      // c fails before its deadline: the failure takes the plan, and the deadline is gone.
      assert.deepEqual(await store.settleAttempts([{ messageId: c, attempt: 'kakao\u0000r3', failed: true, reportId: '' }]), [{ kind: 'plan', plan: plans[claimed.findIndex((x) => x.message.messageId === c)] }]);
      assert.deepEqual(await store.takeOverdueAttempts(10_000, 100, LEASE), []);
      // A message without a plan is never moved, and settling it creates nothing.
      assert.deepEqual(await store.settleAttempts([{ messageId: 'unknown.0', attempt: 'x\u0000y', failed: true, reportId: '' }]), [{ kind: 'none' }]);
    });

    withStore('a message that reaches a final state lets its plan go: a failure reported after it takes none, and the plan is not kept for the retention', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      const plan = { message: claimed!.message, channel: 'alimtalk' as const, next: ['lms' as const], step: 0, routeName: 'kakao-first' };
      await store.keepFallbackPlans([plan]);
      // Not final yet: a failure would take the plan (checked on a second message below).
      assert.deepEqual(await store.recordEvents([{ event: makeEvent(id, 'submitted', { channel: 'alimtalk', providerId: 'kakao', providerRef: 'r1' }), dedupKey: '' }]), ['applied']);
      assert.deepEqual(await store.recordEvents([{ event: makeEvent(id, 'delivered', { providerId: 'kakao', providerRef: 'r1' }), dedupKey: '' }]), ['applied']);
      // A failure of the delivered attempt, or of another one (a supplier's stray report), must not send the message again on LMS.
      assert.deepEqual(await store.settleAttempts([{ messageId: id, attempt: 'kakao\u0000r1', failed: true, reportId: 'dlr-1' }]), [{ kind: 'none' }]);
      assert.deepEqual(await store.settleAttempts([{ messageId: id, attempt: 'kakao-b\u0000r2', failed: true, reportId: 'dlr-2' }]), [{ kind: 'none' }]);
      assert.deepEqual(await store.takeFallbackPlans([{ messageId: id, attempt: 'kakao-c\u0000r3' }]), [{ kind: 'none' }]);

      const other = await accept(store);
      const [second] = await claimAll(store, 1);
      const secondPlan = { ...plan, message: second!.message };
      await store.keepFallbackPlans([secondPlan]);
      await store.recordEvents([{ event: makeEvent(other, 'submitted', { channel: 'alimtalk', providerId: 'kakao', providerRef: 'r4' }), dedupKey: '' }]);
      assert.deepEqual(await store.settleAttempts([{ messageId: other, attempt: 'kakao\u0000r4', failed: true, reportId: '' }]), [{ kind: 'plan', plan: secondPlan }]);
    });

    withStore('a failure report that took a plan gets it again when sent again before its move is finished; after finishMoves, or as another report, it is superseded', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      const plan = { message: claimed!.message, channel: 'alimtalk' as const, next: ['lms' as const], step: 0, routeName: 'kakao-first' };
      await store.keepFallbackPlans([plan]);
      const report = { messageId: id, attempt: 'kakao\u0000r1', failed: true, reportId: 'dlr-1' };
      assert.deepEqual(await store.settleAttempts([report]), [{ kind: 'plan', plan }]);
      // The node that took it died before storing the move; the supplier resends the same report (to any node).
      assert.deepEqual(await store.settleAttempts([report]), [{ kind: 'plan', plan }], 'the same report takes the plan again');
      assert.deepEqual(await store.settleAttempts([{ ...report, reportId: 'dlr-2' }]), [{ kind: 'superseded' }], 'another report of the attempt does not');
      assert.deepEqual(await store.settleAttempts([{ ...report, reportId: '' }]), [{ kind: 'superseded' }], 'nor one without an id');
      await store.keepReportDeadlines([{ messageId: id, attempt: report.attempt, dueMs: 1 }]);
      assert.deepEqual(await store.takeOverdueAttempts(1_000, 100, 5_000), [], 'a plan held by a report is not handed out as overdue');
      assert.deepEqual(await store.settleAttempts([report]), [{ kind: 'plan', plan }], 'and the report still holds it');
      await store.finishMoves([{ messageId: id, attempt: report.attempt }]);
      assert.deepEqual(await store.settleAttempts([report]), [{ kind: 'superseded' }], 'once the move is stored, a resend is a repeat');
    });

    withStore('an overdue deadline taken and not finished is handed out again after the lease, with its plan; a finished one is not', async (store) => {
      const ids = [await accept(store), await accept(store)];
      const claimed = await claimAll(store, 2);
      const plans = claimed.map(({ message }) => ({ message, channel: 'sms' as const, next: [], step: 0, routeName: '' }));
      await store.keepFallbackPlans(plans);
      await store.keepReportDeadlines(ids.map((messageId) => ({ messageId, attempt: 'p\u0000r', dueMs: 100 })));
      const first = await store.takeOverdueAttempts(1_000, 100, 5_000);
      assert.equal(first.length, 2);
      // The first taker stored one move (finished) and died before the other.
      const done = first[0]!;
      const lost = first[1]!;
      await store.finishMoves([done]);
      assert.deepEqual(await store.takeOverdueAttempts(5_999, 100, 5_000), [], 'within the lease nobody else takes it');
      const again = await store.takeOverdueAttempts(6_000, 100, 5_000);
      assert.deepEqual(again.map((o) => [o.messageId, o.attempt]), [[lost.messageId, lost.attempt]]);
      assert.deepEqual(again[0]?.plan, lost.plan);
      await store.finishMoves(again);
      assert.deepEqual(await store.takeOverdueAttempts(100_000, 100, 5_000), []);
      // Its late report still counts as late, once.
      assert.deepEqual(await store.settleAttempts([{ messageId: lost.messageId, attempt: lost.attempt, failed: false, reportId: '' }]), [{ kind: 'late' }]);
    });

        withStore('overdue deadlines are taken in batches of maxCount', async (store) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await accept(store));
      const claimed = await claimAll(store, 5);
      await store.keepFallbackPlans(claimed.map(({ message }) => ({ message, channel: 'sms' as const, next: [], step: 0, routeName: '' })));
      await store.keepReportDeadlines(ids.map((messageId, i) => ({ messageId, attempt: `p\u0000r${i}`, dueMs: 100 + i })));
      const taken: string[] = [];
      for (let round = 0; round < 10 && taken.length < 5; round++) {
        const batch = await store.takeOverdueAttempts(1_000, 2, LEASE);
        assert.ok(batch.length <= 2, `at most maxCount per call, got ${batch.length}`);
        taken.push(...batch.map((o) => o.messageId));
      }
      assert.deepEqual(taken.sort(), [...ids].sort());
    });

    withStore('messages are found by their supplier reference; unknown references come back empty', async (store) => {
      const a = await accept(store);
      const b = await accept(store);
      await store.keepProviderRefs([
        { providerId: 'smsc-a', providerRef: '0a1b', messageId: a },
        { providerId: 'smsc-a', providerRef: '0a1c', messageId: b },
        { providerId: 'smsc-b', providerRef: '0a1b', messageId: b },
      ]);
      assert.deepEqual(await store.findByProviderRefs('smsc-a', ['0a1c', 'nope', '0a1b']), [b, '', a]);
      assert.deepEqual(await store.findByProviderRefs('smsc-b', ['0a1b', '0a1c']), [b, '']);
    });

    withStore('a history-only event is kept in the history without changing the state, also when it repeats the state', async (store) => {
      const id = await accept(store);
      await store.recordEvents([{ event: makeEvent(id, 'submitted'), dedupKey: '' }]);
      assert.deepEqual(await store.recordEvents([{ event: makeEvent(id, 'delivered', { providerId: 'late' }), dedupKey: '', historyOnly: true }]), ['stale']);
      let status = await store.getStatus('tenant-a', id);
      assert.equal(status?.state, 'submitted');
      assert.deepEqual(status?.history.map((e) => `${e.state} ${e.providerId}`.trim()), ['accepted', 'submitted', 'delivered late']);
      await store.recordEvents([{ event: makeEvent(id, 'delivered', { providerId: 'next' }), dedupKey: '' }, { event: makeEvent(id, 'delivered', { providerId: 'late2' }), dedupKey: '', historyOnly: true }]);
      status = await store.getStatus('tenant-a', id);
      assert.equal(status?.state, 'delivered');
      assert.deepEqual(status?.history.map((e) => `${e.state} ${e.providerId}`.trim()), ['accepted', 'submitted', 'delivered late', 'delivered next', 'delivered late2']);
    });

    withStore('a message queued again for fallback is claimed again with the same id and its fallback step', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      await store.complete([id]);
      const moved = { ...claimed!.message, fallback: { channels: ['lms' as const], step: 1, fromChannel: 'alimtalk' as const, reason: 'NO_KAKAOTALK: gone', routeName: 'kakao-first' } };
      await store.requeueFallbacks([moved], 0);
      const [again] = await claimAll(store, 1);
      assert.deepEqual(again?.message, moved);
      await store.complete([id]);
      assert.deepEqual(await store.claim(1, timeoutSignal(300)), [], 'claimed once');
    });

    withStore('completeAsFallbacks ends the claim and queues the moved message in one call; it is claimed again once, as a new delivery', async (store) => {
      const id = await accept(store);
      const [claimed] = await claimAll(store, 1);
      const moved = { ...claimed!.message, fallback: { channels: ['sms' as const], step: 1, fromChannel: 'alimtalk' as const, reason: 'TEMPLATE_MISMATCH: no such template', routeName: 'kakao-first' } };
      await store.completeAsFallbacks([moved]);
      const [again] = await claimAll(store, 1);
      assert.deepEqual(again?.message, moved);
      assert.equal(again?.deliveryCount, 1);
      await store.complete([id]);
      assert.deepEqual(await store.claim(1, timeoutSignal(300)), [], 'claimed once: the first claim is over');
    });

    withStore('completeAsFallbacks queues nothing for a claim that is over (completed, or put back for a retry)', async (store) => {
      const done = await accept(store);
      const retried = await accept(store);
      const claimed = await claimAll(store, 2);
      const byId = new Map(claimed.map((c) => [c.message.messageId, c]));
      await store.complete([done]);
      await store.retryLater([byId.get(retried)!], 60_000);
      await store.completeAsFallbacks([byId.get(done)!.message, byId.get(retried)!.message]);
      assert.deepEqual(await store.claim(2, timeoutSignal(300)), []);
    });
  });
}
