// RELIABILITY D10: binary values in ASCII metadata headers, and header blocks of 8 KB and more,
// sent by a raw HTTP/2 client to a real `switchboard serve`. Each call is refused with a gRPC status
// (or its stream reset by HTTP/2), the node goes on serving, and its stderr stays JSON lines that
// never hold the header's value (an API key with a stray byte would otherwise be written as it came).
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { startServe } from '../helpers/cli-process.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';

const API_KEY = 'bad-metadata-key-0001';
const LEAKED_KEY = 'sk-live-9931\u00e9\u00ff';

interface RawAnswer {
  /** grpc-status from the headers or trailers; undefined when the stream was reset. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  /** RST_STREAM code; 0 when the stream ended normally. */
  resetCode: number;
}

/** One unary Send as raw HTTP/2 with the given extra headers: what grpc-js clients refuse to send. */
function rawSend(address: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.on('error', reject);
    const answer: RawAnswer = { grpcStatus: undefined, grpcMessage: '', resetCode: 0 };
    const take = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) answer.grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) answer.grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    const stream = session.request({ ':method': 'POST', ':path': '/switchboard.v1.MessageGateway/Send', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('error', () => {});
    stream.on('close', () => {
      answer.resetCode = stream.rstCode ?? 0;
      session.close();
      resolve(answer);
    });
    // An empty SendRequest, length-prefixed.
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

test('D10: binary metadata values and oversized header blocks are refused with a status or a reset; the node serves on and logs no header value', async (t) => {
  const sim = await startSimProvider({ channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  t.after(() => sim.close());
  const { node: gateway, address } = await startServe(
    t,
    `server: { listen: "127.0.0.1:0" }
store: { kind: memory }
tenants: [{ id: bank, apiKeys: [${API_KEY}], senderNumbers: ["15880000"] }]
providers: [{ id: sim, kind: grpc, address: "${sim.address}", channels: [sms, lms] }]
routing: { defaultChannel: sms, channels: { sms: [sim], lms: [sim] } }
templates: [{ id: otp, variables: [code], body: "code {{code}}" }]
`,
    { SWITCHBOARD_LOG_LEVEL: 'info' },
  );

  // Bytes past ASCII in an ASCII header: grpc-js drops the entry, so the key is missing.
  const binaryKey = await rawSend(address, { 'x-api-key': LEAKED_KEY });
  assert.equal(binaryKey.grpcStatus, Status.UNAUTHENTICATED, JSON.stringify(binaryKey));
  assert.match(binaryKey.grpcMessage, /missing metadata "x-api-key"/);

  const longKey = await rawSend(address, { 'x-api-key': 'k'.repeat(9_000) });
  assert.equal(longKey.grpcStatus, Status.UNAUTHENTICATED, JSON.stringify(longKey));

  const badBinary = await rawSend(address, { 'x-api-key': API_KEY.replace('0001', '0002'), 'x-trace-bin': '!!! not base64 \u00ff' });
  assert.equal(badBinary.grpcStatus, Status.UNAUTHENTICATED, JSON.stringify(badBinary));

  // Header blocks past what HTTP/2 takes: the stream is reset before any handler runs.
  const huge = await rawSend(address, { 'x-api-key': API_KEY, 'x-padding': 'v'.repeat(70_000) });
  assert.equal(huge.grpcStatus, undefined, JSON.stringify(huge));
  assert.notEqual(huge.resetCode, 0);
  const many = await rawSend(address, Object.fromEntries([['x-api-key', API_KEY], ...Array.from({ length: 2_000 }, (_, i) => [`x-h${i}`, 'v'])]));
  assert.equal(many.grpcStatus, undefined, JSON.stringify(many));
  assert.notEqual(many.resetCode, 0);

  const client = new GatewayTestClient(address, API_KEY);
  t.after(() => client.close());
  const { messageId } = await client.send({ templateId: 'otp', variables: { code: '1234' } });
  assert.notEqual(messageId, '');
  assert.equal(await gateway.terminate(), 0);

  const lines = gateway.stderr().split('\n').filter((line) => line !== '');
  const records = lines.map((line) => JSON.parse(line) as { level: string; msg: string; detail?: string });
  const dropped = records.find((r) => r.msg === 'grpc-js' && r.detail?.startsWith('Failed to add metadata entry x-api-key'));
  assert.ok(dropped !== undefined, `grpc-js's own line about the dropped entry, as JSON: ${lines.join('\n')}`);
  assert.match(dropped.detail ?? '', /value withheld/);
  assert.ok(!gateway.stderr().includes('sk-live'), 'the key as sent is not logged');
});
