// Template variants and typed variables through gRPC: the AlimTalk variant reaches the supplier
// with its template code and rendered buttons; a value that is not of its declared type, a
// missing and an extra variable are refused at Send, naming the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { Channel, MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const ORDER_TEMPLATE = {
  id: 'order',
  variables: ['name', { name: 'amount', type: 'amount' }, { name: 'paidOn', type: 'date' }, 'orderId'],
  body: '{{name}}님 {{amount}}원 결제({{paidOn}})',
  channels: {
    alimtalk: {
      templateCode: 'ORDER_PAID_01',
      body: '{{name}}님, {{paidOn}} 주문 {{orderId}}의 {{amount}}원 결제가 완료되었습니다.',
      buttons: [{ type: 'WL', name: '주문 보기', linkMobile: 'https://shop.example/orders/{{orderId}}' }],
    },
  },
};

test('the AlimTalk variant goes out with its template code and rendered buttons; typed variables are checked at Send', async (t) => {
  const gw = await startTestGateway({}, (raw: Record<string, any>) => raw['templates'].push(ORDER_TEMPLATE));
  t.after(() => gw.stop());
  const variables = { name: '김민지', amount: '12,000', paidOn: '2026-11-26', orderId: 'A-1017' };
  const { messageId } = await gw.client.send({ templateId: 'order', variables, channel: Channel.CHANNEL_ALIMTALK });
  await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  const sent = gw.kakao.receivedMessage(messageId);
  assert.equal(sent?.body, '김민지님, 2026-11-26 주문 A-1017의 12,000원 결제가 완료되었습니다.');
  assert.deepEqual(sent?.attributes, {
    'alimtalk.template_code': 'ORDER_PAID_01',
    'kakao.buttons': JSON.stringify([{ type: 'WL', name: '주문 보기', linkMobile: 'https://shop.example/orders/A-1017' }]),
  });

  const refused = async (vars: Record<string, string>): Promise<ServiceError> => {
    const error = await gw.client.send({ templateId: 'order', variables: vars }).then(
      () => assert.fail('Send was accepted'),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, Status.INVALID_ARGUMENT, error.details);
    return error;
  };
  assert.equal((await refused({ ...variables, amount: '12.5' })).details, 'variables.amount of template "order" must be an amount in whole won, e.g. "12000" or "12,000"; got "12.5"');
  assert.equal((await refused({ ...variables, paidOn: '2026-02-30' })).details, 'variables.paidOn of template "order" must be a date, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"; got "2026-02-30"');
  const { orderId: _left, ...missing } = variables;
  assert.equal((await refused(missing)).details, 'variables.orderId is required by template "order"');
  assert.match((await refused({ ...variables, coupon: 'X' })).details, /^variables\.coupon is not a variable of template "order"/);
  assert.deepEqual(gw.kakao.received(), [messageId], 'nothing refused was sent');
});
