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

/**
 * Settles final delivery reports: KEYS the shard's report deadlines (rdl). ARGV tag, count, then
 * per report: messageId, attempt, failed (1/0). Drops the attempt's deadline; returns per report
 * 'L' (first report of an attempt taken as overdue), 'S' (attempt marked before), 'P<planJson>' (a failure that took the
 * plan) or 'N'. Messages without a fallback hash get none (nothing is created for them).
 */
export const SETTLE_ATTEMPTS_SCRIPT = `
local tag, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for j = 0, n - 1 do
  local id, attempt, failed = ARGV[3 + 3 * j], ARGV[4 + 3 * j], ARGV[5 + 3 * j]
  redis.call('ZREM', KEYS[1], id .. '\\t' .. attempt)
  local key = tag .. ':fb:' .. id
  if redis.call('EXISTS', key) == 0 then
    out[j + 1] = 'N'
  elseif redis.call('HSETNX', key, 'x:' .. attempt, '1') == 0 then
    -- 'o': taken as overdue; its first report is late (kept in the history), later ones are repeats.
    if redis.call('HGET', key, 'x:' .. attempt) == 'o' then
      redis.call('HSET', key, 'x:' .. attempt, '1')
      out[j + 1] = 'L'
    else
      out[j + 1] = 'S'
    end
  elseif failed == '1' then
    local plan = redis.call('HGET', key, 'plan')
    if plan then
      redis.call('HDEL', key, 'plan')
      out[j + 1] = 'P' .. plan
    else
      out[j + 1] = 'N'
    end
  else
    out[j + 1] = 'N'
  end
end
return out
`;

/**
 * Takes the shard's overdue report deadlines: KEYS rdl. ARGV tag, nowMs, maxCount. Each due member
 * is removed (so one node takes it); an attempt not yet marked is marked and its message's plan
 * taken. Returns member, dueMs, planJson for each taken.
 */
export const TAKE_OVERDUE_ATTEMPTS_SCRIPT = `
local tag = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for j = 1, #due, 2 do
  local member = due[j]
  redis.call('ZREM', KEYS[1], member)
  local tab = string.find(member, '\\t', 1, true)
  local key = tag .. ':fb:' .. string.sub(member, 1, tab - 1)
  if redis.call('EXISTS', key) == 1 and redis.call('HSETNX', key, 'x:' .. string.sub(member, tab + 1), 'o') == 1 then
    local plan = redis.call('HGET', key, 'plan')
    if plan then
      redis.call('HDEL', key, 'plan')
      out[#out + 1] = member
      out[#out + 1] = due[j + 1]
      out[#out + 1] = plan
    end
  end
end
return out
`;
