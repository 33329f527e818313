// RELIABILITY row B8, through the provider API: a supplier that sends duplicate delivery reports,
// reports for ids the gateway never sent, reports before its submit answer, and final states out
// of order. The message state machine stays idempotent and monotone, unknown ids are quarantined
// and counted, and every report is acked so the supplier does not resend it forever.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProviderServer, type ProviderServer, type SubmitOutcome } from '../../src/channels/provider-sdk.js';
import { Channel, DeliveryState, type ProviderMessage } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import { stateName, type GatewayTestClient } from '../helpers/gateway-calls.js';
import { startGatewayForProviders } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const FINAL = new Set([MessageState.MESSAGE_STATE_DELIVERED, MessageState.MESSAGE_STATE_FAILED]);

/** By the recipient's last four digits: what the chaotic supplier does with the message. */
const SCRIPT: Record<string, 'duplicate' | 'before-answer' | 'delivered-then-failed' | 'failed-then-delivered'> = {
  '1001': 'duplicate',
  '1002': 'before-answer',
  '1003': 'delivered-then-failed',
  '1004': 'failed-then-delivered',
};

function startChaoticSupplier(): { server: ProviderServer; emitted: () => number } {
  let emitted = 0;
  let ref = 0;
  const report = (message: ProviderMessage, providerRef: string, state: DeliveryState): void => {
    emitted++;
    const failed = state === DeliveryState.DELIVERY_STATE_FAILED;
    server.report({ delivery: { messageId: message.messageId, providerRef, state, code: failed ? 'UNREACHABLE' : '', description: failed ? 'unreachable' : 'delivered', doneAtMs: Date.now() } });
  };
  const server: ProviderServer = createProviderServer({
    capabilities: { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 },
    submit: async (messages) => {
      const outcomes: SubmitOutcome[] = [];
      const after: (() => void)[] = [];
      let holdAnswer = false;
      for (const message of messages) {
        const providerRef = `chaos-${++ref}`;
        outcomes.push({ accepted: { providerRef } });
        const D = DeliveryState.DELIVERY_STATE_DELIVERED;
        const F = DeliveryState.DELIVERY_STATE_FAILED;
        switch (SCRIPT[message.recipient.slice(-4)]) {
          case 'duplicate':
            after.push(() => [D, D, D].forEach((s) => report(message, providerRef, s)));
            break;
          case 'before-answer':
            report(message, providerRef, D);
            holdAnswer = true;
            break;
          case 'delivered-then-failed':
            after.push(() => [D, F].forEach((s) => report(message, providerRef, s)));
            break;
          case 'failed-then-delivered':
            after.push(() => [F, D].forEach((s) => report(message, providerRef, s)));
            break;
          default:
            after.push(() => report(message, providerRef, D));
        }
      }
      // The report goes out first and is stored while the submit answer is still on its way.
      if (holdAnswer) await sleep(300);
      setImmediate(() => after.forEach((f) => f()));
      return outcomes;
    },
  });
  return { server, emitted: () => emitted };
}

async function finalStatus(client: GatewayTestClient, messageId: string): Promise<MessageStatus> {
  let status = await client.getStatus(messageId);
  await waitFor(async () => FINAL.has((status = await client.getStatus(messageId)).state), 10_000, `message ${messageId} final`);
  return status;
}

const states = (status: MessageStatus): string[] => status.history.map((e) => stateName(e.state));

test('B8: duplicate, early, unknown and out-of-order delivery reports never move a message backwards', async (t) => {
  const { server, emitted } = startChaoticSupplier();
  const port = await server.listen('127.0.0.1', 0);
  t.after(() => server.close());
  const gw = await startGatewayForProviders([`127.0.0.1:${port}`], (raw) => {
    (raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0';
  });
  t.after(() => gw.stop());

  const send = async (last4: string) => (await gw.client.send({ recipient: `010-7777-${last4}` })).messageId;

  // Duplicates: one DELIVERED in the history, however many times it is reported.
  const duplicate = await send('1001');
  const dupStatus = await finalStatus(gw.client, duplicate);
  await waitFor(() => server.stats().reportsAcked >= emitted(), 10_000, 'every report acked');
  assert.deepEqual(states(await gw.client.getStatus(duplicate)), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  assert.equal(dupStatus.state, MessageState.MESSAGE_STATE_DELIVERED);

  // A report before the submit answer: DELIVERED stays; the late SUBMITTED does not pull it back,
  // and is kept on record before the final state.
  const early = await send('1002');
  await finalStatus(gw.client, early);
  await sleep(400); // the held submit answer arrives and is recorded (as stale) meanwhile
  const earlyStatus = await gw.client.getStatus(early);
  assert.equal(stateName(earlyStatus.state), 'DELIVERED');
  assert.deepEqual(states(earlyStatus), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);

  // Out-of-order finals: the first final state wins; the contradicting one is kept on record after it.
  const deliveredFirst = await send('1003');
  const failedFirst = await send('1004');
  await waitFor(() => server.stats().reportsAcked >= emitted(), 10_000, 'every report acked');
  const delivered = await gw.client.getStatus(deliveredFirst);
  assert.equal(stateName(delivered.state), 'DELIVERED');
  assert.deepEqual(states(delivered), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED', 'FAILED']);
  const failed = await gw.client.getStatus(failedFirst);
  assert.equal(stateName(failed.state), 'FAILED');
  assert.deepEqual(states(failed), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'FAILED', 'DELIVERED']);
  assert.equal(failed.history[3]?.code, 'UNREACHABLE');

  // Unknown ids: quarantined and counted, acked, and the gateway keeps working.
  const unknownBefore = gw.node.ingestStats.unknownDeliveries;
  for (const messageId of ['no-such-message', 'm-forged-0001']) {
    server.report({ delivery: { messageId, providerRef: 'x', state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: '', doneAtMs: Date.now() } });
  }
  await waitFor(() => gw.node.ingestStats.unknownDeliveries === unknownBefore + 2, 10_000, 'two unknown reports counted');
  await waitFor(() => server.stats().reportsAcked >= emitted() + 2, 10_000, 'unknown reports acked too');
  const metrics = await (await fetch(`http://${gw.node.metricsAddress}/metrics`)).text();
  assert.match(metrics, /^switchboard_channel_unknown_reports_total\{provider="sms-0"\} 2$/m);
  const normal = await send('2000');
  assert.equal(stateName((await finalStatus(gw.client, normal)).state), 'DELIVERED');
});
