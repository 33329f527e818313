import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { AcceptedMessage } from '../../src/domain/message.js';
import type { StatusEvent } from '../../src/domain/status-event.js';
import { HistoryShapes } from '../../src/store/history-shapes.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { acceptedAtMsOfStatus, packStatus, releaseStatus, StatusEntry, unpackStatus } from '../../src/store/status-entry.js';
import { describeOptOutList } from '../conformance/opt-out-list.suite.js';
import { describeStore, makeAccepted, makeEvent } from '../conformance/store.suite.js';
import { fullGc } from '../helpers/full-gc.js';
import { timeoutSignal } from '../helpers/timeout-signal.js';

const memorySettings = (maxQueuedMessages: number) => ({
  kind: 'memory' as const,
  maxQueuedMessages,
  dedupWindowMs: 60_000,
  statusRetentionMs: 60_000,
  maxStatusRecords: 10_000,
  reportRetentionPerTenant: 10_000,
  heapBudgetMb: 192,
});

describeOptOutList('memory', async () => {
  const list = new MemoryStore(memorySettings(10));
  return { list, cleanup: () => list.close() };
});

describeStore('memory', async ({ maxQueuedMessages }) => {
  const store = new MemoryStore({
    kind: 'memory',
    maxQueuedMessages,
    dedupWindowMs: 60_000,
    statusRetentionMs: 60_000,
    maxStatusRecords: 10_000,
    reportRetentionPerTenant: 10_000,
    heapBudgetMb: 192,
  });
  return { store, cleanup: () => store.close() };
});

// The memory store keeps a history as encoded lines and its reports as the recorded events: what
// comes back must be what went in, field for field, whatever the text holds.

test('memory: a history comes back field for field, free text with tabs, newlines and escapes included', async (t) => {
  const store = new MemoryStore(memorySettings(100));
  t.after(() => store.close());
  const message = makeAccepted({ clientRef: 'ref\twith\ntabs', tags: ['a\u001fb', 'c\nd', '한글'] });
  await store.enqueue([message]);
  const id = message.messageId;
  const routed = makeEvent(id, 'routed', { atMs: 1_700_000_000_001, channel: 'alimtalk', providerId: 'kakao\\a', billableUnits: 2, why: 'route "r1" matched (tag\tx); provider "kakao": 카카오\r\n' });
  const submitted = makeEvent(id, 'submitted', { atMs: 1_700_000_000_002, channel: 'alimtalk', providerId: 'kakao\\a', providerRef: 'r\u001f1\\t', billableUnits: 2 });
  const failed = makeEvent(id, 'failed', { atMs: 1_700_000_000_003, providerId: 'kakao\\a', providerRef: 'r\u001f1\\t', code: 'NO\tKAKAO', reason: 'line one\nline two \\n', why: '' });
  assert.deepEqual(await store.recordEvents([routed, submitted, failed].map((event) => ({ event, dedupKey: '' }))), ['applied', 'applied', 'applied']);
  const status = await store.getStatus(message.tenant, id);
  const accepted: StatusEvent = { messageId: id, state: 'accepted', atMs: message.acceptedAtMs, channel: null, providerId: '', providerRef: '', code: '', reason: '', billableUnits: 0 };
  assert.deepEqual(status, { messageId: id, tenant: message.tenant, clientRef: 'ref\twith\ntabs', state: 'failed', history: [accepted, routed, submitted, failed], tags: ['a\u001fb', 'c\nd', '한글'] });
});

test('memory: reports carry the recorded events with their client_ref, and a late event on a final message goes before the final one', async (t) => {
  const store = new MemoryStore(memorySettings(100));
  t.after(() => store.close());
  const message = makeAccepted({ clientRef: 'c-1' });
  await store.enqueue([message]);
  const id = message.messageId;
  const routed = makeEvent(id, 'routed', { channel: 'sms', why: 'why' });
  const delivered = makeEvent(id, 'delivered', { providerRef: 'p-1' });
  await store.recordEvents([{ event: routed, dedupKey: '' }, { event: delivered, dedupKey: 'report:p:1' }]);
  const reports = await store.readReports(message.tenant, 'oldest', 10, timeoutSignal(2000));
  assert.deepEqual(reports.map((r) => r.cursor), ['0', '1', '2']);
  assert.deepEqual(reports[1]?.status, { ...routed, clientRef: 'c-1' });
  assert.deepEqual(reports[2]?.status, { ...delivered, clientRef: 'c-1' });
  // The submit answer that lost the race to its delivery report, then a resent report.
  const submitted = makeEvent(id, 'submitted', { providerRef: 'p-1' });
  assert.deepEqual(await store.recordEvents([{ event: submitted, dedupKey: '' }, { event: delivered, dedupKey: 'report:p:1' }]), ['stale', 'duplicate']);
  assert.deepEqual((await store.getStatus(message.tenant, id))?.history.map((e) => e.state), ['accepted', 'routed', 'submitted', 'delivered']);
  assert.equal(await store.latestCursor(message.tenant), '2');
});

test('memory: a tenant keeps its last reportRetentionPerTenant reports; an older cursor resumes at the oldest kept', async (t) => {
  const store = new MemoryStore({ ...memorySettings(100), reportRetentionPerTenant: 5 });
  t.after(() => store.close());
  const messages = Array.from({ length: 12 }, () => makeAccepted());
  await store.enqueue(messages);
  await store.enqueue([makeAccepted({ tenant: 'tenant-b' })]);
  const oldest = await store.readReports('tenant-a', 'oldest', 100, timeoutSignal(2000));
  assert.deepEqual(oldest.map((r) => r.cursor), ['7', '8', '9', '10', '11']);
  assert.deepEqual(oldest.map((r) => r.status?.messageId), messages.slice(7).map((m) => m.messageId));
  assert.deepEqual((await store.readReports('tenant-a', '2', 2, timeoutSignal(2000))).map((r) => r.cursor), ['7', '8']);
  assert.deepEqual((await store.readReports('tenant-b', 'oldest', 100, timeoutSignal(2000))).map((r) => r.cursor), ['0']);
  assert.equal(await store.latestCursor('tenant-a'), '11');
});

test('memory: status records are forgotten once their acceptance is older than the status retention', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  let nowMs = 1_000_000;
  const store = new MemoryStore({ ...memorySettings(100), statusRetentionMs: 60_000 }, () => nowMs);
  t.after(() => store.close());
  const old = makeAccepted({ acceptedAtMs: 1_000_000 });
  const recent = makeAccepted({ acceptedAtMs: 1_030_000 });
  await store.enqueue([old, recent]);
  await store.recordEvents([{ event: makeEvent(old.messageId, 'delivered'), dedupKey: '' }]);
  nowMs = 1_065_000;
  mock.timers.tick(10_000);
  assert.equal(await store.getStatus('tenant-a', old.messageId), undefined);
  assert.equal((await store.getStatus('tenant-a', recent.messageId))?.state, 'accepted');
});

test('memory: past maxStatusRecords the oldest final records are forgotten first, as soon as a batch is enqueued', async (t) => {
  const store = new MemoryStore({ ...memorySettings(100), maxStatusRecords: 3 });
  t.after(() => store.close());
  const [a, b, c, d, e, f] = Array.from({ length: 6 }, () => makeAccepted());
  const deliver = (m: typeof a) => store.recordEvents([{ event: makeEvent(m!.messageId, 'delivered', { providerRef: 'p' }), dedupKey: '' }]);
  const states = async () => Promise.all([a, b, c, d, e, f].map(async (m) => (await store.getStatus(m!.tenant, m!.messageId))?.state ?? '-'));
  await store.enqueue([a!, b!]);
  await Promise.all([deliver(a), deliver(b)]);
  await store.enqueue([c!, d!]);
  assert.deepEqual(await states(), ['-', 'delivered', 'accepted', 'accepted', '-', '-']);
  await store.enqueue([e!]);
  assert.deepEqual(await states(), ['-', '-', 'accepted', 'accepted', 'accepted', '-']);
  // No final record left to forget: the oldest message on its way goes.
  await store.enqueue([f!]);
  assert.deepEqual(await states(), ['-', '-', '-', 'accepted', 'accepted', 'accepted']);
  assert.deepEqual(await deliver(a), ['unknown-message']);
});

test('memory: a final record keeps taking late reports, also when its message id holds a newline', async (t) => {
  const store = new MemoryStore(memorySettings(100));
  t.after(() => store.close());
  for (const message of [makeAccepted(), makeAccepted({ messageId: 'm\nwith a newline' })]) {
    await store.enqueue([message]);
    const id = message.messageId;
    const routed = makeEvent(id, 'routed', { channel: 'sms', providerId: 'p1', why: 'w' });
    const delivered = makeEvent(id, 'delivered', { providerId: 'p1', providerRef: 'r-1' });
    const submitted = makeEvent(id, 'submitted', { channel: 'sms', providerId: 'p1', providerRef: 'r-1' });
    const failed = makeEvent(id, 'failed', { providerId: 'p2', providerRef: 'r-2', code: 'LATE' });
    assert.deepEqual(await store.recordEvents([routed, delivered, submitted, failed].map((event) => ({ event, dedupKey: '' }))), ['applied', 'applied', 'stale', 'stale']);
    const status = await store.getStatus(message.tenant, id);
    assert.equal(status?.state, 'delivered');
    assert.deepEqual(status?.history.slice(1), [routed, submitted, delivered, failed]);
    assert.equal(await store.getTenantOf(id), message.tenant);
  }
});

test('memory: past maxQueuedMessages on their way, the oldest records are packed and answer and move on as before', async (t) => {
  const store = new MemoryStore(memorySettings(2));
  t.after(() => store.close());
  const [a, b, c] = [makeAccepted(), makeAccepted({ clientRef: 'ref\tb', tags: [] }), makeAccepted()];
  await store.enqueue([a!, b!]);
  await store.claim(10, timeoutSignal(2000));
  const sent = (m: typeof a, n: number) => [
    makeEvent(m!.messageId, 'routed', { channel: 'sms', providerId: 'p1', billableUnits: 1, why: `route ${n}` }),
    makeEvent(m!.messageId, 'submitted', { channel: 'sms', providerId: 'p1', billableUnits: 1, providerRef: `r-${n}`, why: '' }),
  ];
  await store.recordEvents([...sent(a, 1), ...sent(b, 2)].map((event) => ({ event, dedupKey: '' })));
  await store.complete([a!.messageId, b!.messageId]);
  const before = await Promise.all([a, b].map((m) => store.getStatus(m!.tenant, m!.messageId)));
  await store.enqueue([c!]);
  // Three on their way, two allowed unpacked: the oldest is packed (seen only in the table's size).
  assert.equal((store as unknown as { packedStatuses: { size: number } }).packedStatuses.size, 1);
  assert.deepEqual(await Promise.all([a, b].map((m) => store.getStatus(m!.tenant, m!.messageId))), before);
  assert.equal(await store.getTenantOf(a!.messageId), a!.tenant);
  const delivered = makeEvent(a!.messageId, 'delivered', { providerId: 'p1', providerRef: 'r-1' });
  const late = makeEvent(a!.messageId, 'failed', { providerId: 'p1', providerRef: 'r-1', code: 'LATE' });
  assert.deepEqual(await store.recordEvents([delivered, late].map((event) => ({ event, dedupKey: '' }))), ['applied', 'stale']);
  assert.deepEqual((await store.getStatus(a!.tenant, a!.messageId))?.history, [...before[0]!.history, delivered, late]);
  const reports = await store.readReports(a!.tenant, 'oldest', 100, timeoutSignal(2000));
  assert.deepEqual(reports.at(-1)?.status, { ...delivered, clientRef: '' });
});

test('memory: final records share a shape but keep their own times, references and client_refs; a full shape table packs them whole', () => {
  const shapes = new HistoryShapes(2);
  const entry = (n: number, reason: string, fields: Partial<StatusEvent> = {}) =>
    new StatusEntry('tenant-a', n % 2 === 0 ? '' : `ref\n${n}\t[x]`, n === 0 ? [] : ['t'], 'delivered', 1_700_000_000_000 + n, [
      makeEvent('m', 'routed', { atMs: 1_700_000_000_500, channel: 'sms', providerId: 'p1', billableUnits: 1, why: 'the route\tand why' }),
      makeEvent('m', 'submitted', { atMs: 1_699_999_999_000 + n, channel: 'sms', providerId: 'p1', providerRef: `r${n}`, billableUnits: 1 }),
      makeEvent('m', 'delivered', { atMs: 1_700_000_000_700, providerId: 'p1', providerRef: `r${n}`, reason, ...fields }),
    ]);
  const entries = [entry(0, 'ok'), entry(2, 'ok'), entry(3, 'ok'), entry(4, 'other'), entry(5, 'third')];
  const packed = entries.map((e) => packStatus('m', e, shapes));
  assert.equal(shapes.size, 2, 'one shape per tag set and outcome, up to the limit');
  assert.ok(packed[3]?.startsWith('m\n['), 'a third shape does not fit: packed whole');
  assert.ok(packed[0]!.length < 40, `shaped: ${JSON.stringify(packed[0])}`);
  assert.equal(packed[0]!.split('r0').length, 2, 'a reference that the next event repeats is written once');
  packed.forEach((p, i) => {
    assert.deepEqual(unpackStatus(p, shapes), entries[i]);
    assert.equal(acceptedAtMsOfStatus(p), entries[i]!.acceptedAtMs);
  });
  // A time that is no safe integer, or a reference with a newline, is kept as written, in a whole record.
  const odd = [entry(2, 'ok', { atMs: 1.5 }), entry(2, 'ok', { providerRef: 'r\n2' })];
  for (const e of odd) {
    const p = packStatus('m', e, shapes);
    assert.ok(p.startsWith('m\n['));
    assert.deepEqual(unpackStatus(p, shapes), e);
  }
  // Shapes are dropped with the last record that names them.
  for (const p of packed) releaseStatus(p, shapes);
  assert.equal(shapes.size, 0);
  assert.ok(!packStatus('m', entries[4]!, shapes).startsWith('m\n['), 'room again');
});

test('memory: client_refs are forgotten past maxStatusRecords too, oldest first, so a long dedup window cannot fill the heap', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  const nowMs = 1_000_000;
  const store = new MemoryStore({ ...memorySettings(100), dedupWindowMs: 86_400_000, maxStatusRecords: 3 }, () => nowMs);
  t.after(() => store.close());
  const sent = Array.from({ length: 5 }, (_, i) => makeAccepted({ clientRef: `ref-${i}`, acceptedAtMs: nowMs }));
  await store.enqueue(sent);
  mock.timers.tick(10_000);
  // The newest three are remembered, the oldest not. (Each ref set forgets the oldest past the bound at
  // once, so the newest are sent first: a forgotten ref sent again is new, and pushes out the oldest left.)
  const resent = [sent[2]!, sent[3]!, sent[4]!, sent[0]!];
  const again = await store.enqueue(resent.map((m) => makeAccepted({ clientRef: m.clientRef, acceptedAtMs: nowMs })));
  assert.deepEqual(again.map((o) => o.kind), ['duplicate', 'duplicate', 'duplicate', 'accepted']);
  assert.deepEqual(again.slice(0, 3).map((o) => (o.kind === 'duplicate' ? o.messageId : '')), resent.slice(0, 3).map((m) => m.messageId));
});

test('memory: dedup keys and supplier references are forgotten past their window or maxStatusRecords, oldest first', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  let nowMs = 1_000_000;
  const store = new MemoryStore({ ...memorySettings(100), dedupWindowMs: 1000, statusRetentionMs: 1000, maxStatusRecords: 3 }, () => nowMs);
  t.after(() => store.close());
  const inbound = (key: string) => ({ event: { tenant: 'tenant-a', providerId: 'p1', channel: 'sms' as const, from: '+821099998888', to: '15880000', body: key, inReplyToMessageId: '', receivedAtMs: 1 }, dedupKey: key });
  const bodies = async () => (await store.readReports('tenant-a', 'oldest', 100, timeoutSignal(300))).map((r) => r.inbound?.body);

  // Four keys with room for three: the oldest is forgotten, so it is new again; the others are repeats.
  await store.recordInbound(['in-0', 'in-1', 'in-2', 'in-3'].map(inbound));
  await store.recordInbound(['in-1', 'in-2', 'in-3', 'in-0'].map(inbound));
  assert.deepEqual(await bodies(), ['in-0', 'in-1', 'in-2', 'in-3', 'in-0']);
  // Past the window every key is new again, trimmed or not.
  nowMs += 1000;
  await store.recordInbound(['in-3', 'in-3'].map(inbound));
  assert.deepEqual(await bodies(), ['in-0', 'in-1', 'in-2', 'in-3', 'in-0', 'in-3']);

  // References: a reference given again becomes the newest, so the oldest other one goes first.
  await store.keepProviderRefs(['r-0', 'r-1', 'r-2'].map((ref) => ({ providerId: 'smsc', providerRef: ref, messageId: `m-${ref}` })));
  await store.keepProviderRefs([{ providerId: 'smsc', providerRef: 'r-0', messageId: 'm-r-0' }, { providerId: 'smsc', providerRef: 'r-3', messageId: 'm-r-3' }]);
  assert.deepEqual(await store.findByProviderRefs('smsc', ['r-0', 'r-1', 'r-2', 'r-3']), ['m-r-0', '', 'm-r-2', 'm-r-3']);
  // Past the status retention they are not known any more, and the sweep forgets them.
  nowMs += 1000;
  assert.deepEqual(await store.findByProviderRefs('smsc', ['r-0', 'r-3']), ['', '']);
  mock.timers.tick(10_000);
  const internals = store as unknown as { providerRefs: { size: number }; seenDedupKeys: { size: number } };
  assert.deepEqual([internals.providerRefs.size, internals.seenDedupKeys.size], [0, 0]);
});

test('memory: fallback plans are forgotten past the status retention or maxStatusRecords, oldest written first', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] });
  t.after(() => mock.timers.reset());
  let nowMs = 1_000_000;
  const store = new MemoryStore({ ...memorySettings(100), statusRetentionMs: 1000, maxStatusRecords: 3 }, () => nowMs);
  t.after(() => store.close());
  const messages = Array.from({ length: 4 }, () => makeAccepted());
  const planOf = (m: AcceptedMessage) => ({ message: m, channel: 'alimtalk' as const, next: ['lms' as const], step: 0, routeName: 'kakao-first' });
  const take = async (ms: readonly AcceptedMessage[]) => (await store.takeFallbackPlans(ms.map((m) => ({ messageId: m.messageId, attempt: 'kakao\u0000r1' })))).map((x) => x.kind);
  await store.keepFallbackPlans(messages.slice(0, 3).map(planOf));
  // Written again, the first becomes the newest: the fourth pushes out the second.
  await store.keepFallbackPlans([planOf(messages[0]!), planOf(messages[3]!)]);
  assert.deepEqual(await take(messages), ['plan', 'none', 'plan', 'plan']);
  // Past the status retention the sweep forgets what is left.
  nowMs += 1000;
  mock.timers.tick(10_000);
  assert.deepEqual((store as unknown as { fallbacks: { size: number } }).fallbacks.size, 0);
});

test('memory: packing records on their way resumes across batches and after events, and keeps every status answerable', async (t) => {
  const store = new MemoryStore(memorySettings(2));
  t.after(() => store.close());
  const internals = store as unknown as { statuses: Map<string, unknown>; packedStatuses: { size: number } };
  const messages = Array.from({ length: 8 }, () => makeAccepted());
  const submitted = (m: (typeof messages)[number]) => ({ event: makeEvent(m.messageId, 'submitted', { channel: 'sms', providerId: 'p1', providerRef: `r-${m.messageId}` }), dedupKey: '' });
  for (let i = 0; i < messages.length; i += 2) {
    await store.enqueue(messages.slice(i, i + 2));
    await store.complete((await store.claim(10, timeoutSignal(2000))).map((c) => c.message.messageId));
    // An event for the oldest message unpacks its record, which is then among the newest.
    await store.recordEvents([submitted(messages[0]!)]);
    await store.enqueue([]);
    assert.ok(internals.statuses.size <= 2, `after batch ${i / 2}: ${internals.statuses.size} records unpacked`);
    assert.equal(internals.statuses.size + internals.packedStatuses.size, i + 2);
  }
  const states = await Promise.all(messages.map(async (m) => (await store.getStatus(m.tenant, m.messageId))?.state));
  assert.deepEqual(states, ['submitted', ...Array.from({ length: 7 }, () => 'accepted')]);
});

test('memory: a client_ref past its dedup window is new again even before it is trimmed', async (t) => {
  const store = new MemoryStore({ ...memorySettings(100), dedupWindowMs: 1000 }, () => 0);
  t.after(() => store.close());
  const first = makeAccepted({ clientRef: 'daily-1', acceptedAtMs: 0 });
  await store.enqueue([first, makeAccepted({ clientRef: 'other', acceptedAtMs: 0 })]);
  const within = await store.enqueue([makeAccepted({ clientRef: 'daily-1', acceptedAtMs: 999 })]);
  assert.deepEqual(within, [{ kind: 'duplicate', messageId: first.messageId }]);
  const after = makeAccepted({ clientRef: 'daily-1', acceptedAtMs: 1000 });
  assert.deepEqual(await store.enqueue([after]), [{ kind: 'accepted', messageId: after.messageId }]);
});

// A Map iterator pins the hash table it was made on, and every table the Map has moved to since
// (V8 links an outgrown table to its successor, so the iterator can follow). An iterator left
// standing therefore keeps every entry those tables held, deleted ones included. The walk that
// packs records past maxQueuedMessages stood still from the end of a burst until the next one,
// while messages went on through the Map: the full latency bench grew the heap by ~20 MB a second
// this way (237k delivered records retained) until mark-compact pauses reached 0.5 s.
test('memory: client_refs of messages going through stay out of the heap, and still answer a resend', async (t) => {
  const store = new MemoryStore({ ...memorySettings(1000), maxStatusRecords: 1_000_000, reportRetentionPerTenant: 100 });
  t.after(() => store.close());
  let sent = 0;
  const submit = async (count: number): Promise<AcceptedMessage[]> => {
    const messages = Array.from({ length: count }, () => makeAccepted({ clientRef: `bank-2026-11-27-${String(sent++).padStart(9, '0')}` }));
    await store.enqueue(messages);
    const claimed = await store.claim(count, timeoutSignal(2000));
    await store.complete(claimed.map((c) => c.message.messageId));
    await store.recordEvents(messages.map((m) => ({ event: makeEvent(m.messageId, 'delivered', { providerId: 'p1' }), dedupKey: '' })));
    return messages;
  };
  const first = await submit(500);
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  const before = process.memoryUsage().heapUsed;
  // 100k messages as a client that resends safely sends them: a client_ref each, all kept.
  for (let i = 0; i < 200; i++) await submit(500);
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
  // As Map entries (key, holder object, fingerprint and message id strings) they were ~25 MB.
  assert.ok(grownMb < 8, `the heap grew by ${grownMb.toFixed(1)} MB over 100,000 messages with client_refs`);
  // The oldest reference is still held: its resend is its duplicate, other content under it a conflict.
  const resend = makeAccepted({ clientRef: first[0]!.clientRef });
  const changed = makeAccepted({ clientRef: first[1]!.clientRef, recipient: '+821099998888' });
  assert.deepEqual(await store.enqueue([resend, changed]), [
    { kind: 'duplicate', messageId: first[0]!.messageId },
    { kind: 'conflict', messageId: first[1]!.messageId },
  ]);
});

test('memory: after a burst past maxQueuedMessages, messages going through do not pile up in the heap', async (t) => {
  const store = new MemoryStore({ ...memorySettings(1000), maxStatusRecords: 1_000_000, reportRetentionPerTenant: 100 });
  t.after(() => store.close());
  const deliver = (messages: readonly AcceptedMessage[]) => store.recordEvents(messages.map((m) => ({ event: makeEvent(m.messageId, 'delivered', { providerId: 'p1' }), dedupKey: '' })));
  const submit = async (count: number): Promise<AcceptedMessage[]> => {
    const messages = Array.from({ length: count }, () => makeAccepted({ variables: { name: 'x'.repeat(200) } }));
    await store.enqueue(messages);
    const claimed = await store.claim(count, timeoutSignal(2000));
    await store.complete(claimed.map((c) => c.message.messageId));
    return messages;
  };
  // The burst: 1,500 on their way at once, more than maxQueuedMessages, so the oldest get packed;
  // then their reports come.
  const burst = [...(await submit(1000)), ...(await submit(500))];
  await deliver(burst);
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  const before = process.memoryUsage().heapUsed;
  // Then an ordinary flow: 100k messages, each delivered before the next batch.
  for (let i = 0; i < 200; i++) await deliver(await submit(500));
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
  // Their packed records live outside the heap (Buffers); kept as entries they would be ~60 MB.
  assert.ok(grownMb < 15, `the heap grew by ${grownMb.toFixed(1)} MB over 100,000 delivered messages`);
});
