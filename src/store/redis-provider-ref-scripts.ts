/**
 * Keeps the supplier-reference index (see RedisKeys.providerRef): ARGV tag, ttlMs, count, then per
 * entry: "<providerId>\t<providerRef>", messageId. Runs on one shard, like the other scripts.
 */
export const KEEP_PROVIDER_REFS_SCRIPT = `
local tag, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
for j = 0, n - 1 do
  redis.call('SET', tag .. ':pref:' .. ARGV[4 + 2 * j], ARGV[5 + 2 * j], 'PX', ttl)
end
return n
`;
