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
 * per report: messageId, attempt, failed (1/0), reportId ('' for none). Drops the attempt's
 * deadline; returns per report 'L' (first report of an attempt taken as overdue), 'S' (attempt
 * marked before), 'P<planJson>' (a failure that took the plan, or the same report again before
 * its move was finished) or 'N'. Messages without a fallback hash get none (nothing is created
 * for them). A failure that takes the plan marks the attempt 'r<reportId>' and holds the plan in
 * mv:<attempt> until finishMoves deletes it.
 */
export const SETTLE_ATTEMPTS_SCRIPT = `
local tag, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for j = 0, n - 1 do
  local id, attempt, failed, reportId = ARGV[3 + 4 * j], ARGV[4 + 4 * j], ARGV[5 + 4 * j], ARGV[6 + 4 * j]
  redis.call('ZREM', KEYS[1], id .. '\\t' .. attempt)
  local key = tag .. ':fb:' .. id
  if redis.call('EXISTS', key) == 0 then
    out[j + 1] = 'N'
  elseif redis.call('HSETNX', key, 'x:' .. attempt, '1') == 0 then
    local mark = redis.call('HGET', key, 'x:' .. attempt)
    local held = nil
    if reportId ~= '' and mark == 'r' .. reportId then held = redis.call('HGET', key, 'mv:' .. attempt) end
    -- 'o': taken as overdue; its first report is late (kept in the history), later ones are repeats.
    if mark == 'o' then
      redis.call('HSET', key, 'x:' .. attempt, '1')
      redis.call('HDEL', key, 'mv:' .. attempt)
      out[j + 1] = 'L'
    elseif held then
      out[j + 1] = 'P' .. held
    else
      out[j + 1] = 'S'
    end
  elseif failed == '1' then
    local plan = redis.call('HGET', key, 'plan')
    if plan then
      redis.call('HDEL', key, 'plan')
      if reportId ~= '' then redis.call('HSET', key, 'x:' .. attempt, 'r' .. reportId, 'mv:' .. attempt, plan) end
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
 * Takes the shard's overdue report deadlines: KEYS rdl. ARGV tag, nowMs, maxCount, leaseMs. An
 * attempt not yet marked is marked 'o' and its message's plan moved to field mv:<attempt>; one
 * marked 'o' whose mv: field is still there was taken before and never finished (the node died):
 * it is handed out again. Either way its deadline is pushed back by the lease, so one node has it
 * at a time; anything else (settled by a report, no plan) is dropped. Returns member, dueMs,
 * planJson for each taken.
 */
export const TAKE_OVERDUE_ATTEMPTS_SCRIPT = `
local tag, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for j = 1, #due, 2 do
  local member = due[j]
  local tab = string.find(member, '\\t', 1, true)
  local key = tag .. ':fb:' .. string.sub(member, 1, tab - 1)
  local mark = 'x:' .. string.sub(member, tab + 1)
  local moving = 'mv:' .. string.sub(member, tab + 1)
  local plan = nil
  if redis.call('EXISTS', key) == 1 then
    if redis.call('HSETNX', key, mark, 'o') == 1 then
      plan = redis.call('HGET', key, 'plan')
      if plan then
        redis.call('HDEL', key, 'plan')
        redis.call('HSET', key, moving, plan)
      end
    elseif redis.call('HGET', key, mark) == 'o' then
      plan = redis.call('HGET', key, moving)
    end
  end
  if plan then
    redis.call('ZADD', KEYS[1], now + lease, member)
    out[#out + 1] = member
    out[#out + 1] = due[j + 1]
    out[#out + 1] = plan
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`;

/**
 * Marks moves as stored (finishMoves): KEYS rdl. ARGV tag, count, then per attempt: messageId,
 * attempt. Drops the lease of a taken deadline and the plan held for a move (mv:<attempt>).
 */
export const FINISH_OVERDUE_ATTEMPTS_SCRIPT = `
local tag, n = ARGV[1], tonumber(ARGV[2])
for j = 0, n - 1 do
  local id, attempt = ARGV[3 + 2 * j], ARGV[4 + 2 * j]
  redis.call('ZREM', KEYS[1], id .. '\\t' .. attempt)
  redis.call('HDEL', tag .. ':fb:' .. id, 'mv:' .. attempt)
end
return n
`;
