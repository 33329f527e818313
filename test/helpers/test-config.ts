import type { Config } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/parse-config.js';

export const TEST_API_KEY = 'test-api-key-tenant-a';
export const OTHER_TENANT_API_KEY = 'test-api-key-tenant-b';

/**
 * A raw config (as a YAML file would hold it) for a gateway on a free loopback port with the
 * given SMS providers and one AlimTalk provider. Tests go through parseConfig like a real file.
 */
export function rawTestConfig(providers: { sms: string[]; alimtalk?: string }): Record<string, unknown> {
  const providerEntries: Record<string, unknown>[] = providers.sms.map((address, i) => ({
    id: `sms-${i}`,
    kind: 'grpc',
    address,
    channels: ['sms', 'lms'],
    connectTimeout: '300ms',
    reconnectBackoff: '50ms',
    maxReconnectBackoff: '500ms',
  }));
  const smsProviders = providerEntries.map((p) => p['id'] as string);
  const channels: Record<string, string[]> = { sms: smsProviders, lms: smsProviders };
  if (providers.alimtalk !== undefined) {
    providerEntries.push({ id: 'kakao', kind: 'grpc', address: providers.alimtalk, channels: ['alimtalk'], connectTimeout: '300ms' });
    channels['alimtalk'] = ['kakao'];
  }
  return {
    server: { listen: '127.0.0.1:0', shutdownGrace: '2s' },
    store: { kind: 'memory' },
    limits: { maxBodyBytes: 2000, maxBatchSize: 1000 },
    dispatcher: { retryBackoff: '50ms', maxRetryBackoff: '200ms' },
    tenants: [
      {
        id: 'tenant-a',
        apiKeys: [TEST_API_KEY],
        senderNumbers: ['15880000', '0212345678'],
        advertising: { senderName: '스위치은행', optOutLine: '무료수신거부 080-123-4567' },
      },
      { id: 'tenant-b', apiKeys: [OTHER_TENANT_API_KEY], senderNumbers: ['15990000'] },
    ],
    providers: providerEntries,
    routing: { defaultChannel: 'sms', channels },
    templates: [
      { id: 'welcome', variables: ['name'], body: '{{name}}님, 환영합니다.', channels: { alimtalk: { templateCode: 'WELCOME_001', body: '{{name}}님 (알림톡)' } } },
      { id: 'otp', variables: ['code'], body: '인증번호 {{code}}' },
    ],
  };
}

/** parseConfig that throws on issues, for tests that need a valid config. */
export function compileTestConfig(raw: Record<string, unknown>): Config {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(`test config is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}
