import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { startTestGateway } from '../helpers/test-gateway.js';

const require = createRequire(import.meta.url);
const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');

type AnyClient = Client & Record<string, (...args: unknown[]) => unknown>;

function clientFor(protoFile: string, servicePath: string[], address: string): AnyClient {
  const definition = loadPackageDefinition(loadSync(protoFile, { keepCase: true, enums: String })) as Record<string, unknown>;
  let ctor: unknown = definition;
  for (const part of servicePath) ctor = (ctor as Record<string, unknown>)[part];
  return new (ctor as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => AnyClient)(address, credentials.createInsecure());
}

test('the standard grpc.health.v1 service reports the gateway SERVING', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const health = clientFor(healthProtoPath, ['grpc', 'health', 'v1', 'Health'], gw.node.address);
  t.after(() => health.close());
  for (const service of ['', 'switchboard.v1.MessageGateway']) {
    const reply = await new Promise<{ status: string }>((resolve, reject) =>
      health['Check']?.({ service }, (error: ServiceError | null, response: { status: string }) => (error ? reject(error) : resolve(response))),
    );
    assert.equal(reply.status, 'SERVING');
  }
});

test('server reflection lists the gateway service and describes it', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const reflection = clientFor(reflectionProto, ['grpc', 'reflection', 'v1', 'ServerReflection'], gw.node.address);
  t.after(() => reflection.close());
  const call = reflection['ServerReflectionInfo']?.() as NodeJS.ReadWriteStream & { end(): void; write(message: unknown): boolean };
  const answers: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (answer: Record<string, unknown>) => {
      answers.push(answer);
      if (answers.length === 2) call.end();
    });
    call.on('end', () => resolve());
    call.on('error', reject);
  });
  call.write({ list_services: '' });
  call.write({ file_containing_symbol: 'switchboard.v1.MessageGateway' });
  await done;
  const services = (answers[0]?.['list_services_response'] as { service: { name: string }[] }).service.map((s) => s.name);
  assert.ok(services.includes('switchboard.v1.MessageGateway'), `listed: ${services.join(', ')}`);
  const files = (answers[1]?.['file_descriptor_response'] as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
  assert.ok(files.length > 0);
  assert.ok(files.some((f) => f.toString('latin1').includes('MessageGateway')));
});
