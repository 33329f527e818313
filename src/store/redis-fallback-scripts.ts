/**
 * Lua scripts of the Redis store's fallback plans (kept apart from the queue and status scripts in
 * redis-scripts.ts). Both run on one shard and take its tag; the per-message keys
 * "<tag>:fb:<messageId>" are derived here, like the other scripts do.
 */

/**
 * Keeps plans: ARGV tag, ttlMs, count, then per plan: messageId, planJson. Taken-attempt marks
 * (x:<attempt> fields) stay, so a report of an earlier channel stays stale.
 */
export const KEEP_FALLBACK_PLANS_SCRIPT = `
local tag, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
for j = 0, n - 1 do
  local key = tag .. ':fb:' .. ARGV[4 + 2 * j]
  redis.call('HSET', key, 'plan', ARGV[5 + 2 * j])
  redis.call('PEXPIRE', key, ttl)
end
return n
`;

/**
 * Takes plans for failed attempts: ARGV tag, count, then per failure: messageId, attempt.
 * Returns per failure 'N' (no plan kept), 'S' (attempt taken before) or 'P<planJson>' (taken now).
 */
export const TAKE_FALLBACK_PLANS_SCRIPT = `
local tag, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for j = 0, n - 1 do
  local key = tag .. ':fb:' .. ARGV[3 + 2 * j]
  if redis.call('EXISTS', key) == 0 then
    out[j + 1] = 'N'
  elseif redis.call('HSETNX', key, 'x:' .. ARGV[4 + 2 * j], '1') == 0 then
    out[j + 1] = 'S'
  else
    local plan = redis.call('HGET', key, 'plan')
    if plan then
      redis.call('HDEL', key, 'plan')
      out[j + 1] = 'P' .. plan
    else
      out[j + 1] = 'N'
    end
  end
end
return out
`;
