// Hot reload of `switchboard serve` on SIGHUP, with real processes: a valid file applies to the
// next message; a broken one, or one that changes what needs a restart, is refused and the running
// config keeps serving.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { startCli } from '../helpers/cli-process.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

function configYaml(sims: Record<string, string>, smsOrder: string[], extra = ''): string {
  return `server: { listen: "127.0.0.1:0", shutdownGrace: 2s }
store: { kind: memory }
tenants: [{ id: tenant-a, apiKeys: [${TEST_API_KEY}], senderNumbers: ["15880000"] }]
providers:
${Object.entries(sims)
  .map(([id, address]) => `  - { id: ${id}, kind: grpc, address: "${address}", channels: [sms, lms], connectTimeout: 300ms }`)
  .join('\n')}
routing:
  channels: { sms: [${smsOrder.join(', ')}] }
templates: [{ id: welcome, variables: [name], body: "{{name}}님, 환영합니다." }]
${extra}`;
}

test('SIGHUP applies a changed route to the next message and refuses a broken or restart-only change', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sims: Record<string, string> = {};
  for (const id of ['sim-a', 'sim-b']) {
    const sim = startCli(t, ['sim-provider', '--id', id, '--channel', 'sms,lms']);
    sims[id] = (await sim.waitForLine(/listening on (\S+)/))[1] ?? '';
    t.after(() => sim.terminate());
  }
  const path = join(dir, 'gateway.yaml');
  writeFileSync(path, configYaml(sims, ['sim-a', 'sim-b']));
  const serve = startCli(t, ['serve', '--config', path]);
  const address = (await serve.waitForLine(/listening on (\S+)/))[1] ?? '';
  const client = new GatewayTestClient(address, TEST_API_KEY);
  t.after(() => client.close());

  const submittedVia = async (): Promise<string> => {
    const { messageId } = await client.send({});
    let provider = '';
    await waitFor(async () => {
      const status = await client.getStatus(messageId);
      provider = status.history.find((e) => e.state === MessageState.MESSAGE_STATE_SUBMITTED)?.providerId ?? '';
      return provider !== '';
    });
    return provider;
  };
  const hangUpAndWaitFor = async (line: RegExp, count: number): Promise<void> => {
    serve.child.kill('SIGHUP');
    await waitFor(() => (serve.stdout().match(new RegExp(line.source, 'gm')) ?? []).length >= count, 10_000, `serve to print ${line}`);
  };

  assert.equal(await submittedVia(), 'sim-a');

  writeFileSync(path, configYaml(sims, ['sim-b', 'sim-a']));
  await hangUpAndWaitFor(/^reloaded /m, 1);
  assert.equal(await submittedVia(), 'sim-b', 'the next message takes the new route');

  writeFileSync(path, configYaml(sims, ['sim-x']));
  await hangUpAndWaitFor(/^reload refused/m, 1);
  assert.match(serve.stdout(), /reload refused, still serving the previous config:\n {2}routing\.channels\.sms\[0\]: unknown provider "sim-x"/);
  assert.equal(await submittedVia(), 'sim-b', 'a broken file changes nothing');

  writeFileSync(path, configYaml(sims, ['sim-a', 'sim-b']).replace('store: { kind: memory }', 'store: { kind: memory, maxQueuedMessages: 5 }'));
  await hangUpAndWaitFor(/^reload refused/m, 2);
  assert.match(serve.stdout(), /store: store settings cannot change while the node runs; restart it to apply them/);
  assert.equal(await submittedVia(), 'sim-b');

  const delivered = await client.send({});
  await waitFor(async () => stateName((await client.getStatus(delivered.messageId)).state) === 'DELIVERED');
  assert.equal(await serve.terminate(), 0, serve.stderr());
});
