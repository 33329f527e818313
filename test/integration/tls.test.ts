// TLS and mutual TLS (RELIABILITY §6 "mTLS on every gRPC hop", "identity from the certificate",
// "cert rotation without downtime"): the client API refuses clients without a certificate, with
// one from another CA or an expired one; a tenant that lists its certificates refuses its API key
// with another certificate; renewed server files apply to new connections without a restart and a
// half-written rotation keeps the last good files; the supplier link runs over mutual TLS; the CLI
// reaches a TLS gateway; bad files stop a node from starting, naming the setting.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { test, type TestContext } from 'node:test';
import { stringify as stringifyYaml } from 'yaml';
import { credentials, Metadata, status as Status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode, type GatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageGatewayClient, type SendResponse } from '../../src/gen/switchboard/v1/gateway.js';
import { REPO_ROOT, runCli } from '../helpers/cli-process.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { makeMessage } from '../helpers/gateway-calls.js';
import { compileTestConfig, OTHER_TENANT_API_KEY, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/tls');
const fixture = (name: string): string => join(FIXTURES, name);
const pem = (name: string): Buffer => readFileSync(fixture(name));

/** TLS client credentials trusting the test CA, with a client certificate when `client` names one (e.g. "client-a"). */
function clientCredentials(client: string | null, ca = 'ca'): ChannelCredentials {
  return client === null ? credentials.createSsl(pem(`${ca}.crt`)) : credentials.createSsl(pem(`${ca}.crt`), pem(`${client}.key`), pem(`${client}.crt`));
}

function send(address: string, channelCredentials: ChannelCredentials, apiKey: string, clientRef: string): Promise<SendResponse> {
  const client = new MessageGatewayClient(address, channelCredentials);
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  return new Promise<SendResponse>((resolve, reject) => {
    client.send({ message: makeMessage({ clientRef }) }, metadata, { deadline: Date.now() + 5000 }, (error: ServiceError | null, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => assert.fail('the call must be refused'),
    (error: ServiceError) => error,
  );
}

/** The subject CN of the certificate the server at `address` presents to a new connection. */
function presentedName(address: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), ca: pem('ca.crt'), servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.destroy();
      resolve(String(cn));
    });
    socket.on('error', reject);
  });
}

/** A memory-store gateway (startTestGateway) whose gRPC API serves with `tls` (server.tls); returns the node. */
async function tlsGateway(t: TestContext, tls: Record<string, unknown>, configure?: (raw: Record<string, unknown>) => void): Promise<GatewayNode> {
  const gw = await startTestGateway({}, (raw) => {
    (raw['server'] as Record<string, unknown>)['tls'] = tls;
    configure?.(raw);
  });
  t.after(() => gw.stop());
  return gw.node;
}

test('mutual TLS on the client API: no certificate, another CA, an expired one or plaintext are refused; a tenant that lists its certificates refuses its key with another', async (t) => {
  const node = await tlsGateway(t, { certFile: fixture('server.crt'), keyFile: fixture('server.key'), clientCaFile: fixture('ca.crt') }, (raw) => {
    (raw['tenants'] as Record<string, unknown>[])[0]!['clientCertNames'] = ['core-banking.bank.internal'];
  });

  const accepted = await send(node.address, clientCredentials('client-a'), TEST_API_KEY, 'mtls-ok');
  assert.notEqual(accepted.messageId, '');

  for (const [what, channelCredentials] of [
    ['no client certificate', clientCredentials(null)],
    ['a certificate from another CA', clientCredentials('client-other-ca')],
    ['an expired certificate', clientCredentials('client-expired')],
    ['plaintext', credentials.createInsecure()],
  ] as const) {
    const error = await refusal(send(node.address, channelCredentials, TEST_API_KEY, `refused-${what}`));
    assert.equal(error.code, Status.UNAVAILABLE, `${what}: ${error.details}`);
  }

  // tenant-a's key with tenant-b's certificate (same CA): the key alone is not enough.
  const denied = await refusal(send(node.address, clientCredentials('client-b'), TEST_API_KEY, 'wrong-cert'));
  assert.equal(denied.code, Status.PERMISSION_DENIED);
  assert.match(denied.details, /the client certificate \(marketing-batch, marketing-batch\.bank\.internal\) is not one of tenant "tenant-a"'s \(tenants\[\]\.clientCertNames\)/);
  // tenant-b lists no names: any certificate the CA signed will do.
  const other = await send(node.address, clientCredentials('client-a'), OTHER_TENANT_API_KEY, 'b-with-a-cert');
  assert.notEqual(other.messageId, '');
});

test('renewed server certificate files apply to new connections without a restart; a half-written rotation keeps the last good files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  copyFileSync(fixture('server.crt'), join(dir, 'server.crt'));
  copyFileSync(fixture('server.key'), join(dir, 'server.key'));
  const node = await tlsGateway(t, { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), refreshInterval: 100 });
  assert.equal(await presentedName(node.address), 'switchboard-gateway');
  const client = new MessageGatewayClient(node.address, clientCredentials(null));
  t.after(() => client.close());
  const metadata = new Metadata();
  metadata.set('x-api-key', TEST_API_KEY);
  const sendOn = (clientRef: string): Promise<SendResponse> =>
    new Promise((resolve, reject) => client.send({ message: makeMessage({ clientRef }) }, metadata, (error: ServiceError | null, response) => (error ? reject(error) : resolve(response))));
  await sendOn('before-rotation');

  // The certificate is replaced first, its key not yet: the pair does not match, the old one stays.
  copyFileSync(fixture('server-rotated.crt'), join(dir, 'server.crt'));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await presentedName(node.address), 'switchboard-gateway', 'a certificate without its key is not used');
  await sendOn('during-rotation');

  copyFileSync(fixture('server-rotated.key'), join(dir, 'server.key'));
  let name = '';
  await waitFor(async () => (name = await presentedName(node.address)) === 'switchboard-gateway-rotated', 5000, `new connections to get the renewed certificate (still ${name})`);
  // The connection made before the rotation goes on.
  await sendOn('after-rotation');
});

test('the supplier link runs over mutual TLS, and a node whose TLS files are bad does not start, naming the setting', async (t) => {
  const sim = await startSimProvider({
    id: 'sim-sms',
    channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS],
    tls: { certFile: fixture('provider.crt'), keyFile: fixture('provider.key'), clientCaFile: fixture('ca.crt') },
  });
  t.after(() => sim.close());
  const raw = rawTestConfig({ sms: [sim.address] });
  (raw['providers'] as Record<string, unknown>[])[0]!['tls'] = { caFile: fixture('ca.crt'), certFile: fixture('client-a.crt'), keyFile: fixture('client-a.key') };
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  t.after(() => node.stop());
  const { messageId } = await send(node.address, credentials.createInsecure(), TEST_API_KEY, 'over-mtls');
  await waitFor(async () => (await node.store.getStatus('tenant-a', messageId))?.state === 'delivered', 10_000, 'the message to be delivered over the mutual-TLS link');
  assert.ok(sim.received().includes(messageId));

  const bad = rawTestConfig({ sms: [sim.address] });
  (bad['providers'] as Record<string, unknown>[])[0]!['tls'] = { caFile: fixture('ca.crt'), certFile: fixture('client-a.crt'), keyFile: fixture('client-b.key') };
  await assert.rejects(startGatewayNode(compileTestConfig(bad)), /provider "sms-0" tls\.keyFile: the key in ".*client-b\.key" is not the key of the certificate in provider "sms-0" tls\.certFile/);
  // A reload to such files is refused, the running config kept; config check reports them too.
  const reload = await node.reload(compileTestConfig(bad));
  assert.equal(reload.ok, false);
  assert.deepEqual(!reload.ok && reload.issues.map((i) => i.path), ['provider "sms-0" tls.keyFile']);
  const file = join(mkdtempSync(join(tmpdir(), 'sb-tls-')), 'bad.yaml');
  writeFileSync(file, stringifyYaml(bad));
  const check = await runCli(t, ['config', 'check', file]);
  assert.equal(check.code, 1);
  assert.match(check.stdout, /bad\.yaml: provider "sms-0" tls\.keyFile: the key in ".*client-b\.key" is not the key of the certificate/);
  const missing = rawTestConfig({ sms: [sim.address] });
  (missing['server'] as Record<string, unknown>)['tls'] = { certFile: fixture('no-such.crt'), keyFile: fixture('server.key') };
  await assert.rejects(startGatewayNode(compileTestConfig(missing)), /server\.tls\.certFile: cannot read ".*no-such\.crt"/);
});

test('the CLI reaches a mutual-TLS gateway with SWITCHBOARD_TLS_CA, _CERT and _KEY', async (t) => {
  const node = await tlsGateway(t, { certFile: fixture('server.crt'), keyFile: fixture('server.key'), clientCaFile: fixture('ca.crt') });
  const args = ['send', '--target', node.address, '--api-key', TEST_API_KEY, '--to', '010-1234-5678', '--template', 'welcome', '--var', 'name=Kim'];

  const sent = await runCli(t, args, { SWITCHBOARD_TLS_CA: fixture('ca.crt'), SWITCHBOARD_TLS_CERT: fixture('client-a.crt'), SWITCHBOARD_TLS_KEY: fixture('client-a.key') });
  assert.equal(sent.code, 0, sent.stderr);
  const messageId = /message_id (\S+)/.exec(sent.stdout)?.[1];
  assert.ok(messageId !== undefined, sent.stdout);
  assert.ok((await node.store.getStatus('tenant-a', messageId)) !== undefined, 'the message the CLI sent is stored');

  const plaintext = await runCli(t, args);
  assert.notEqual(plaintext.code, 0, 'a plaintext client is refused');
  const halfSet = await runCli(t, args, { SWITCHBOARD_TLS_CA: fixture('ca.crt'), SWITCHBOARD_TLS_CERT: fixture('client-a.crt') });
  assert.notEqual(halfSet.code, 0);
  assert.match(halfSet.stderr, /SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY go together/);
});
