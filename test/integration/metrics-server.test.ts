import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

test('GET /metrics serves admission and provider counters in the Prometheus text format', async (t) => {
  const gw = await startTestGateway({}, (raw) => ((raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0'));
  t.after(() => gw.stop());
  assert.match(gw.node.metricsAddress ?? '', /^127\.0\.0\.1:\d+$/);

  const first = await gw.client.send({ clientRef: 'm-1' });
  await gw.client.send({ clientRef: 'm-1' });
  await gw.client.send({ recipient: '0101234' }).catch(() => undefined);
  await waitFor(async () => (await gw.client.getStatus(first.messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);

  const response = await fetch(`http://${gw.node.metricsAddress}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  assert.match(text, /^switchboard_gateway_messages_accepted_total\{duplicate="false"\} 1$/m);
  assert.match(text, /^switchboard_gateway_messages_accepted_total\{duplicate="true"\} 1$/m);
  assert.match(text, /^switchboard_gateway_messages_rejected_total\{reason="INVALID_RECIPIENT"\} 1$/m);
  assert.match(text, /^switchboard_channel_provider_answers_total\{provider="sms-0",outcome="accepted"\} 1$/m);
  assert.match(text, /^switchboard_process_resident_memory_bytes \d+/m);

  assert.equal((await fetch(`http://${gw.node.metricsAddress}/other`)).status, 404);
});
