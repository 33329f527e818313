import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { MessageState, Priority, RejectReason } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, makeMessage, stateName } from '../helpers/gateway-calls.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { OTHER_TENANT_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

test('unary Send reaches the provider and ends DELIVERED; GetStatus and WatchReports show every transition in order', async (t) => {
  const gw = await startTestGateway({ latencyMs: 2, dlrDelayMs: 20 });
  t.after(() => gw.stop());

  const watching = gw.client.watchReports('', true, (reports) => reports.some((r) => r.event?.$case === 'status' && r.event.value.state === MessageState.MESSAGE_STATE_DELIVERED));
  const { messageId, duplicate } = await gw.client.send({ recipient: '010-1234-5678', templateId: 'welcome', variables: { name: 'Kim' }, clientRef: 'welcome-1' });
  assert.equal(duplicate, false);
  assert.match(messageId, /^m[0-9a-f]{12}-/);

  await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, 'DELIVERED');
  const status = await gw.client.getStatus(messageId);
  assert.deepEqual(status.history.map((e) => stateName(e.state)), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  assert.equal(status.clientRef, 'welcome-1');
  const submitted = status.history[2];
  assert.equal(submitted?.providerId, 'sms-0');
  assert.notEqual(submitted?.providerRef, '');
  // Times come from two clocks (ours, and the supplier's for its report), so only their presence is checked.
  assert.ok(status.history.every((e) => Number(e.atMs) > 0));

  const reports = await watching;
  const mine = reports.filter((r) => r.event?.$case === 'status' && r.event.value.messageId === messageId);
  assert.deepEqual(mine.map((r) => (r.event?.$case === 'status' ? stateName(r.event.value.state) : '')), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  // Cursors increase, so a client can resume after any of them.
  const cursors = mine.map((r) => Number(r.cursor));
  assert.deepEqual(cursors, [...cursors].sort((a, b) => a - b));

  // The provider got the rendered text for the recipient in E.164.
  assert.deepEqual(gw.sms.received(), [messageId]);
});

test('WatchReports resumes after a cursor and shows only the caller tenant', async (t) => {
  const gw = await startTestGateway({ dlrDelayMs: 0 });
  t.after(() => gw.stop());
  const other = new GatewayTestClient(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(() => other.close());

  const first = await gw.client.send({});
  await waitFor(async () => (await gw.client.getStatus(first.messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  const all = await gw.client.watchReports('', true, (r) => r.length === 4);
  const afterRouted = all[1]?.cursor ?? '';
  const resumed = await gw.client.watchReports(afterRouted, false, (r) => r.length === 2);
  assert.deepEqual(resumed.map((r) => (r.event?.$case === 'status' ? stateName(r.event.value.state) : '')), ['SUBMITTED', 'DELIVERED']);

  await assert.rejects(other.getStatus(first.messageId), (error: ServiceError) => {
    assert.equal(error.code, Status.NOT_FOUND);
    assert.equal(error.details, `message "${first.messageId}" is not known to tenant "tenant-b" (or its status has expired)`);
    return true;
  });
  const otherSend = await other.send({ templateId: 'otp', variables: { code: '123456' }, sender: '15990000' });
  const otherReports = await other.watchReports('', true, (r) => r.length >= 1);
  assert.ok(otherReports.every((r) => r.event?.$case === 'status' && r.event.value.messageId === otherSend.messageId));
});

test('a repeated client_ref within a tenant is not sent twice and its ack says so; another tenant may reuse it', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const other = new GatewayTestClient(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(() => other.close());

  const first = await gw.client.send({ clientRef: 'order-77' });
  const again = await gw.client.send({ clientRef: 'order-77' });
  assert.deepEqual(again, { messageId: first.messageId, duplicate: true });

  const [streamed] = await gw.client.sendStream([{ batchId: 1, messages: [{ ...(await import('../helpers/gateway-calls.js')).makeMessage({ clientRef: 'order-77' }) }] }]);
  assert.deepEqual(
    streamed?.acks.map((a) => ({ accepted: a.accepted, duplicate: a.duplicate, messageId: a.messageId })),
    [{ accepted: true, duplicate: true, messageId: first.messageId }],
  );

  const elsewhere = await other.send({ clientRef: 'order-77', sender: '15990000', templateId: 'otp', variables: { code: '1' } });
  assert.equal(elsewhere.duplicate, false);
  assert.notEqual(elsewhere.messageId, first.messageId);

  await waitFor(async () => (await gw.client.getStatus(first.messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(gw.sms.received().filter((id) => id === first.messageId), [first.messageId]);
});

test('a client_ref reused for a different message is refused (ALREADY_EXISTS, CLIENT_REF_CONFLICT), not dropped as a duplicate (RELIABILITY D7)', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const first = await gw.client.send({ clientRef: 'txn-4411', recipient: '010-1234-5678', templateId: 'welcome', variables: { name: 'Kim' } });

  // The same message written another way (domestic vs E.164 number), with another priority: a retry.
  const retry = await gw.client.send({ clientRef: 'txn-4411', recipient: '+821012345678', templateId: 'welcome', variables: { name: 'Kim' }, priority: Priority.PRIORITY_URGENT });
  assert.deepEqual(retry, { messageId: first.messageId, duplicate: true });

  await assert.rejects(
    gw.client.send({ clientRef: 'txn-4411', recipient: '010-1234-5678', templateId: 'welcome', variables: { name: 'Lee' } }),
    (error: ServiceError) => {
      assert.equal(error.code, Status.ALREADY_EXISTS);
      assert.match(error.details, /client_ref "txn-4411" was already used for message \S+, which differs from this one/);
      assert.ok(error.details.includes(first.messageId), error.details);
      return true;
    },
  );

  const [acks] = await gw.client.sendStream([{ batchId: 1, messages: [makeMessage({ clientRef: 'txn-4411', recipient: '010-9999-0000' }), makeMessage({ clientRef: 'txn-4412' })] }]);
  assert.deepEqual(
    acks?.acks.map((a) => ({ accepted: a.accepted, duplicate: a.duplicate, reason: a.reason, messageId: a.messageId })),
    [
      { accepted: false, duplicate: false, reason: RejectReason.REJECT_REASON_CLIENT_REF_CONFLICT, messageId: '' },
      { accepted: true, duplicate: false, reason: RejectReason.REJECT_REASON_UNSPECIFIED, messageId: acks?.acks[1]?.messageId ?? '' },
    ],
  );

  await waitFor(async () => (await gw.client.getStatus(first.messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  await waitFor(() => gw.sms.received().length === 2);
  assert.deepEqual(gw.sms.received().filter((id) => id === first.messageId), [first.messageId], 'the first message went out once; the refused ones not at all');
});

test('calls without a valid API key are refused with UNAUTHENTICATED', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  for (const [key, details] of [
    [null, 'missing metadata "x-api-key": every call needs the tenant\'s API key'],
    ['wrong-key-wrong-key', 'the API key in metadata "x-api-key" is not valid'],
  ] as const) {
    const client = new GatewayTestClient(gw.node.address, key);
    t.after(() => client.close());
    await assert.rejects(client.send({}), (error: ServiceError) => {
      assert.equal(error.code, Status.UNAUTHENTICATED);
      assert.equal(error.details, details);
      return true;
    });
  }
});
