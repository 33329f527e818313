// The gateway config and the message every scenario uses, so all figures share one shape.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyMessage } from '../../src/loadgen/load-generator.js';
import type { Message } from '../../src/gen/switchboard/v1/gateway.js';

export const BENCH_API_KEY = 'bench-api-key-0000000000';
/** Frames of 100 messages: the batch size of the reference figures in issue #6. */
export const BATCH_SIZE = 100;

/** A templated card-approval SMS (render + store + deliver), the pipeline's common case. */
export function benchMessage(priority: 'urgent' | 'bulk' = 'bulk'): Message {
  return emptyMessage({ recipient: '01012345678', templateId: 'alert', variables: { name: '김철수', amount: '12,000' }, priority: priority === 'urgent' ? 1 : 3 });
}

export interface GatewayConfigOptions {
  /** YAML of the store section, e.g. '{ kind: memory }'. */
  store: string;
  /** SMS providers in priority order. */
  providers: { id: string; address: string }[];
  routerWorkers?: number;
  metricsPort?: number;
  /** The providers' contract TPS (providers[].tps); absent for no limit. */
  providerTps?: number;
}

export const BENCH_TEMPLATES = `templates: [{ id: alert, variables: [name, amount], body: "[카드승인] {{name}}님 {{amount}}원 승인" }]`;

/** Writes a gateway config file into `dir` and returns its path. */
export function writeGatewayConfig(dir: string, name: string, options: GatewayConfigOptions): string {
  const path = join(dir, `${name}.yaml`);
  const metrics = options.metricsPort === undefined ? '' : `, metricsListen: "127.0.0.1:${options.metricsPort}"`;
  writeFileSync(
    path,
    `server: { listen: "127.0.0.1:0"${metrics} }
store: ${options.store}
limits: { maxBatchSize: 1000 }
router: { workers: ${options.routerWorkers ?? 0}, batchSize: 1000 }
dispatcher: { retryBackoff: 50ms, maxRetryBackoff: 200ms }
tenants: [{ id: bench, apiKeys: [${BENCH_API_KEY}], senderNumbers: ["15880000"] }]
providers: [${options.providers.map((p) => `{ id: ${p.id}, kind: grpc, address: "${p.address}", channels: [sms, lms], window: 5000, connectTimeout: 300ms, reconnectBackoff: 50ms, maxReconnectBackoff: 500ms${options.providerTps === undefined ? '' : `, tps: ${options.providerTps}`} }`).join(', ')}]
routing: { defaultChannel: sms, channels: { sms: [${options.providers.map((p) => p.id).join(', ')}], lms: [${options.providers.map((p) => p.id).join(', ')}] } }
${BENCH_TEMPLATES}
`,
  );
  return path;
}
