// RELIABILITY D9 (log injection, CWE-117) and §6 (no message content in logs), through a real
// `switchboard serve` at SWITCHBOARD_LOG_LEVEL=debug: a supplier, an outside party, sends a
// delivery report whose message id carries a forged log line and ANSI escapes (the node logs
// unknown report ids), and a reply from a customer; a tenant sends a message. Every line the node
// writes must stay one JSON object, nothing may start a line of its own or reach a terminal as an
// escape, and no message text, reply or phone number may appear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accept, Channel, createProviderServer, DeliveryState } from '../../src/channels/provider-sdk.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { startServe } from '../helpers/cli-process.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { waitFor } from '../helpers/wait-for.js';

const API_KEY = 'log-injection-key-0001';
const FORGED_ID = 'x\n2026-01-01T00:00:00Z INFO admin login ok user=root\r\u001b[31mred\u001b[0m\u0000';
const BODY = 'SECRET-BODY-7731 잔액 1,234,567원';
const RECIPIENT = '+821077778888';
const REPLY = 'SECRET-REPLY-5521 해지해주세요';
const REPLY_FROM = '+821055554444';

test('supplier-sent ids with forged log lines and escapes stay inside one JSON line; no text, reply or number is logged (D9)', async (t) => {
  const server = createProviderServer({
    capabilities: { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 },
    submit: async (messages) =>
      messages.map((m, i) => {
        setImmediate(() => {
          server.report({ delivery: { messageId: m.messageId, providerRef: `r-${i}`, state: DeliveryState.DELIVERY_STATE_DELIVERED } });
          server.report({ delivery: { messageId: FORGED_ID, providerRef: 'forged', state: DeliveryState.DELIVERY_STATE_DELIVERED, description: FORGED_ID } });
          server.report({ inbound: { channel: Channel.CHANNEL_SMS, from: REPLY_FROM, to: '15880000', body: REPLY, inReplyToMessageId: m.messageId } });
        });
        return accept(`r-${i}`);
      }),
  });
  const port = await server.listen();
  t.after(() => server.close(200));

  const { node: gateway, address } = await startServe(
    t,
    `server: { listen: "127.0.0.1:0" }
store: { kind: memory }
tenants: [{ id: bank, apiKeys: [${API_KEY}], senderNumbers: ["15880000"] }]
providers: [{ id: sup, kind: grpc, address: "127.0.0.1:${port}", channels: [sms, lms] }]
routing: { defaultChannel: sms, channels: { sms: [sup], lms: [sup] } }
`,
    { SWITCHBOARD_LOG_LEVEL: 'debug' },
  );
  const client = new GatewayTestClient(address, API_KEY);
  t.after(() => client.close());

  const { messageId } = await client.send({ recipient: RECIPIENT, templateId: '', variables: {}, content: { body: BODY, subject: '' } });
  await waitFor(async () => (await client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  await waitFor(() => gateway.stderr().includes('unknown message ids quarantined'), 10_000, 'the quarantine log line');
  assert.equal(await gateway.terminate(), 0);

  const stderr = gateway.stderr();
  const lines = stderr.split('\n').filter((line) => line !== '');
  for (const line of lines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof record['level'], 'string', line);
  }
  const quarantine = lines.map((line) => JSON.parse(line) as { msg: string; messageIds?: string[] }).find((r) => r.msg.includes('quarantined'));
  assert.deepEqual(quarantine?.messageIds, [FORGED_ID], 'the id is logged as it came, as one JSON string');
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(stderr), 'no raw control character (ESC, CR, NUL) on stderr');
  assert.ok(!stderr.split('\n').some((line) => line.startsWith('2026-01-01')), 'no forged line of its own');
  for (const secret of [BODY, 'SECRET-BODY', RECIPIENT, '77778888', REPLY, 'SECRET-REPLY', REPLY_FROM, '55554444']) {
    assert.ok(!stderr.includes(secret), `stderr holds ${secret}`);
    assert.ok(!gateway.stdout().includes(secret), `stdout holds ${secret}`);
  }
});
