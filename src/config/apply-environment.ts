/**
 * Environment overrides, applied to the raw file contents before validation so they go through
 * the same schema and error messages as the file:
 * - REDIS_URL: use the Redis store at that URL (keeping the file's other redis settings, if any).
 * - passwordEnv of a provider: its password is read from that variable (an unset one is left for
 *   the schema to report with the provider's path).
 * - keyEnv of a store.encryption key: the key is read from that variable (likewise).
 */
export function applyEnvironment(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  return applyStoreKeys(applyProviderPasswords(applyRedisUrl(raw as Record<string, unknown>, env), env), env);
}

function applyRedisUrl(file: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const redisUrl = env['REDIS_URL'];
  if (redisUrl === undefined || redisUrl === '') return file;
  const store = typeof file['store'] === 'object' && file['store'] !== null ? (file['store'] as Record<string, unknown>) : {};
  return { ...file, store: store['kind'] === 'redis' ? { ...store, url: redisUrl } : { kind: 'redis', url: redisUrl } };
}

function applyProviderPasswords(file: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const providers = file['providers'];
  if (!Array.isArray(providers)) return file;
  return {
    ...file,
    providers: providers.map((provider: unknown) => {
      if (typeof provider !== 'object' || provider === null) return provider;
      const { passwordEnv, ...rest } = provider as Record<string, unknown>;
      if (typeof passwordEnv !== 'string') return provider;
      const password = env[passwordEnv];
      return password === undefined || password === '' ? provider : { ...rest, password };
    }),
  };
}

function applyStoreKeys(file: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const store = file['store'];
  if (typeof store !== 'object' || store === null) return file;
  const encryption = (store as Record<string, unknown>)['encryption'];
  if (typeof encryption !== 'object' || encryption === null) return file;
  const keys = (encryption as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys)) return file;
  const resolved = keys.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const { keyEnv, ...rest } = entry as Record<string, unknown>;
    if (typeof keyEnv !== 'string') return entry;
    const key = env[keyEnv];
    return key === undefined || key === '' ? entry : { ...rest, key };
  });
  return { ...file, store: { ...store, encryption: { ...encryption, keys: resolved } } };
}
