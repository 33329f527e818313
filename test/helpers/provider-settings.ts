import type { GrpcProviderSettings } from '../../src/config/config.js';
import type { OutboundMessage } from '../../src/channels/provider-connector.js';

/** Settings of a gRPC provider as parse-config makes them, with short timings for tests. */
export function providerSettings(address: string, overrides: Partial<GrpcProviderSettings> = {}): GrpcProviderSettings {
  return {
    id: 'sim',
    kind: 'grpc',
    address,
    channels: ['sms'],
    window: 100,
    connectTimeoutMs: 5_000,
    reconnectBackoffMs: 50,
    maxReconnectBackoffMs: 500,
    connections: 1,
    keepaliveTimeMs: 10_000,
    keepaliveTimeoutMs: 5_000,
    answerTimeoutMs: 30_000,
    tps: 0,
    urgentReserve: 0.2,
    tls: null,
    ...overrides,
  };
}

/** An SMS for the connector, one billable unit, normal priority unless overridden. */
export function outboundMessage(id: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: id,
    channel: 'sms',
    recipient: '+821012345678',
    sender: '15880000',
    subject: '',
    body: `hello ${id}`,
    attributes: {},
    expiresAtMs: 0,
    billableUnits: 1,
    priority: 'normal',
    idempotencyKey: '',
    ...overrides,
  };
}
