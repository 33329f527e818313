/**
 * Environment overrides, applied to the raw file contents before validation so they go through
 * the same schema and error messages as the file:
 * - REDIS_URL: use the Redis store at that URL (keeping the file's other redis settings, if any).
 */
export function applyEnvironment(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const redisUrl = env['REDIS_URL'];
  if (redisUrl === undefined || redisUrl === '' || typeof raw !== 'object' || raw === null) return raw;
  const file = raw as Record<string, unknown>;
  const store = typeof file['store'] === 'object' && file['store'] !== null ? (file['store'] as Record<string, unknown>) : {};
  return { ...file, store: store['kind'] === 'redis' ? { ...store, url: redisUrl } : { kind: 'redis', url: redisUrl } };
}
