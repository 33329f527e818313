// "Where would this message go, and why" without sending: MessageGateway.ExplainRoute over gRPC
// and `switchboard route explain` as a CLI process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import { Channel, MessageKind, MessageState, type RouteExplanation } from '../../src/gen/switchboard/v1/gateway.js';
import { runCli } from '../helpers/cli-process.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { OTHER_TENANT_API_KEY, TEST_API_KEY } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';

function explain(client: GatewayTestClient, fields: Parameters<typeof makeMessage>[0]): Promise<RouteExplanation> {
  return new Promise((resolve, reject) => {
    client.client.explainRoute({ message: makeMessage(fields) }, client.metadata, (error: ServiceError | null, response) => (error ? reject(error) : resolve(response)));
  });
}

const kakaoFirst = (raw: Record<string, any>): void => {
  raw['routing'].routes = [{ name: 'kakao-first', match: { tenants: ['tenant-a'], kinds: ['informational'] }, chain: ['alimtalk', 'lms'] }];
};

test('ExplainRoute answers with the route, chain, provider and text, and sends nothing', async (t) => {
  const gw = await startTestGateway({}, kakaoFirst);
  t.after(() => gw.stop());
  const routed = await explain(gw.client, { variables: { name: '김' } });
  assert.deepEqual(
    [routed.outcome, routed.channel, routed.fallbackChannels, routed.routeName, routed.providerId, routed.body, routed.attributes, routed.billableUnits],
    [MessageState.MESSAGE_STATE_ROUTED, Channel.CHANNEL_ALIMTALK, [Channel.CHANNEL_LMS], 'kakao-first', 'kakao', '김님 (알림톡)', { 'alimtalk.template_code': 'WELCOME_001' }, 1],
  );
  assert.equal(routed.why, 'route "kakao-first" matched (tenant tenant-a, kind informational); chain alimtalk > lms');
  assert.match(routed.providerWhy, /channel "alimtalk"/);

  // Another tenant matches no route: the default, as before routes existed.
  const other = new GatewayTestClient(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(() => other.close());
  const byDefault = await explain(other, { variables: { name: '김' } });
  assert.deepEqual([byDefault.channel, byDefault.routeName, byDefault.why], [Channel.CHANNEL_SMS, 'default', 'no route matched; routing.defaultChannel "sms"']);
  // Advertising without the tenant's advertising identity could never go.
  const failed = await explain(other, { kind: MessageKind.MESSAGE_KIND_ADVERTISING, nightConsent: true, content: { body: '특가', subject: '' } });
  assert.deepEqual([failed.outcome, failed.code], [MessageState.MESSAGE_STATE_FAILED, 'AD_SETTINGS_MISSING']);

  assert.deepEqual([gw.kakao.received(), gw.sms.received()], [[], []]);
});

test('switchboard route explain prints where the message would go; a bad message fails like Send', async (t) => {
  const gw = await startTestGateway({}, kakaoFirst);
  t.after(() => gw.stop());
  const target = ['--target', gw.node.address, '--api-key', TEST_API_KEY];
  const routed = await runCli(t, ['route', 'explain', '--to', '010-1234-5678', '--template', 'welcome', '--var', 'name=Kim', ...target]);
  assert.equal(routed.code, 0, routed.stderr);
  const lines = routed.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['outcome   ROUTED', 'route     kakao-first', 'channel   alimtalk (then lms)']);
  assert.ok(lines.includes('provider  kakao'), routed.stdout);
  assert.ok(lines.includes('body      Kim님 (알림톡)'), routed.stdout);
  assert.ok(lines.includes('attribute alimtalk.template_code=WELCOME_001'), routed.stdout);

  const bad = await runCli(t, ['route', 'explain', '--to', '010-1234-5678', '--template', 'welcome', ...target]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'switchboard: INVALID_ARGUMENT: variables.name is required by template "welcome"\n');
  assert.deepEqual([gw.kakao.received(), gw.sms.received()], [[], []]);
});

test('switchboard config check names a bad route by its path', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { stringify } = await import('yaml');
  const { rawTestConfig } = await import('../helpers/test-config.js');
  const dir = await mkdtemp(join(tmpdir(), 'sb-routes-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw = rawTestConfig({ sms: ['127.0.0.1:1'], alimtalk: '127.0.0.1:2' }) as Record<string, any>;
  raw['routing'].routes = [{ chain: ['sms'] }, { match: { tenants: ['tenant-z'] }, chain: ['sms'] }, { name: 'kakao', chain: ['alimtalk', 'kakao_alimtak'] }];
  const path = join(dir, 'gateway.yaml');
  await writeFile(path, stringify(raw));
  const checked = await runCli(t, ['config', 'check', path]);
  assert.equal(checked.code, 1);
  assert.equal(checked.stdout, `${path}: routing.routes[2].chain[1]: unknown channel "kakao_alimtak" (known: sms, lms, mms, alimtalk, friendtalk, push)\n`);

  raw['routing'].routes[2].chain = ['alimtalk', 'push'];
  await writeFile(path, stringify(raw));
  const again = await runCli(t, ['config', 'check', path]);
  assert.equal(again.code, 1);
  assert.equal(
    again.stdout,
    `${path}: routing.routes[1].match.tenants[0]: unknown tenant "tenant-z"\n${path}: routing.routes[2].chain[1]: channel "push" has no providers in routing.channels\n`,
  );
});

test('GetStatus says why: the route and supplier on ROUTED, and the failover on SUBMITTED when another supplier took it', async (t) => {
  const { startSimProvider } = await import('../../src/channels/sim-provider.js');
  const { Channel: ProviderChannel } = await import('../../src/gen/switchboard/provider/v1/provider.js');
  const { startGatewayForProviders } = await import('../helpers/test-gateway.js');
  const { waitFor } = await import('../helpers/wait-for.js');
  const channels = [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS];
  const refusing = await startSimProvider({ id: 'refusing', channels, rejectRate: 1, rejectRetryable: true, rejectCode: 'THROTTLED' });
  const healthy = await startSimProvider({ id: 'healthy', channels });
  t.after(() => Promise.all([refusing.close(), healthy.close()]));
  const gw = await startGatewayForProviders([refusing.address, healthy.address], (raw: Record<string, any>) => {
    raw['routing'].routes = [{ name: 'texts', match: { tenants: ['tenant-a'] }, chain: ['sms'] }];
  });
  t.after(() => gw.stop());
  const { messageId } = await gw.client.send({});
  await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
  const [, routed, submitted] = (await gw.client.getStatus(messageId)).history;
  assert.deepEqual([routed?.providerId, submitted?.providerId], ['sms-0', 'sms-1']);
  assert.match(routed?.why ?? '', /^route "texts" matched \(tenant tenant-a\); chain sms; provider "sms-0": .+/);
  assert.match(submitted?.why ?? '', /^failover: "sms-0" refused for now \(THROTTLED\); provider "sms-1": .+/);
});
