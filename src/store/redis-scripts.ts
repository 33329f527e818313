/**
 * The Lua scripts of the Redis store. Each runs on one shard (one hash tag) and works on a whole
 * batch, so a batch costs one round trip. Every script is idempotent: ioredis may send a command
 * again after a reconnect, and running a script twice must not store a message twice.
 */

/** Shared by the scripts that apply status events: the progress rank of each state. */
const STATE_RANKS = `
local RANK = { accepted = 1, routed = 2, fallback = 2, submitted = 3,
  delivered = 4, failed = 4, expired = 4, rejected = 4, cancelled = 4 }
`;

/**
 * Stores and queues a batch of messages of one shard.
 * KEYS: q:urgent, q:normal, q:bulk (declared); the per-message keys are derived here from the
 * shard tag, so they are in the same slot (this keeps the argument list, the dominant cost of a
 * large batch, to a few strings per message).
 * ARGV: tag, dedupTtlMs, statusTtlMs, reportMaxLen, maxQueued, count, then for each message:
 *   messageId, lane (1..3), tenant, clientRef ('' for none), tagsJson, payload, acceptedEventJson.
 * Returns for each message 'A' (stored), 'D<messageId>' (client_ref seen before) or 'F' (queue full).
 * Per message: msg HASH (tenant, ref, state, tags) and hist STRING (newline-separated events),
 * both expiring statusTtl after acceptance.
 */
export const ENQUEUE_SCRIPT = `
local tag, dedupTtl, statusTtl, reportMaxLen, maxQueued, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local queued = redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[2]) + redis.call('XLEN', KEYS[3])
local out = {}
for j = 0, n - 1 do
  local a = 7 + 7 * j
  local id, lane, tenant, ref = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2], ARGV[a + 3]
  local msgKey = tag .. ':msg:' .. id
  local refKey = tag .. ':ref:' .. tenant .. ':' .. ref
  if redis.call('EXISTS', msgKey) == 1 then
    -- The same call sent again (client library resend): it is stored already.
    out[j + 1] = 'A'
  else
    local earlier = false
    if ref ~= '' then earlier = redis.call('GET', refKey) end
    if earlier then
      out[j + 1] = 'D' .. earlier
    elseif queued >= maxQueued then
      out[j + 1] = 'F'
    else
      if ref ~= '' then redis.call('SET', refKey, id, 'PX', dedupTtl) end
      redis.call('XADD', KEYS[lane], '*', 'm', ARGV[a + 5], 'a', '0')
      redis.call('HSET', msgKey, 'tenant', tenant, 'ref', ref, 'state', 'accepted', 'tags', ARGV[a + 4])
      redis.call('PEXPIRE', msgKey, statusTtl)
      redis.call('SET', tag .. ':hist:' .. id, ARGV[a + 6], 'PX', statusTtl)
      redis.call('XADD', tag .. ':reports:' .. tenant, 'MAXLEN', '~', reportMaxLen, '*', 's', ARGV[a + 6], 'r', ref)
      queued = queued + 1
      out[j + 1] = 'A'
    end
  end
end
return out
`;

/**
 * Applies status events to messages of one shard, keeping the state machine monotone, and
 * appends each applied event to the message's history and its tenant's report stream.
 * KEYS: one key of the shard (only to route the call to the node that owns the shard's slot);
 * the keys used are derived from the shard tag. History and status keep the TTL set at acceptance.
 * ARGV: tag, dedupTtlMs, reportMaxLen, count, then for each event: messageId, state, eventJson, dedupKey ('' for none).
 * Returns for each event 'applied', 'stale', 'unknown-message' or 'duplicate'.
 */
export const RECORD_EVENTS_SCRIPT = `${STATE_RANKS}
local tag, dedupTtl, reportMaxLen, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out = {}
for j = 0, n - 1 do
  local a = 5 + 4 * j
  local id, state, event, dedupKey = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local msgKey = tag .. ':msg:' .. id
  local fields = redis.call('HMGET', msgKey, 'state', 'tenant', 'ref')
  local current, tenant, ref = fields[1], fields[2], fields[3]
  if not current then
    out[j + 1] = 'unknown-message'
  elseif dedupKey ~= '' and not redis.call('SET', tag .. ':seen:' .. dedupKey, '1', 'PX', dedupTtl, 'NX') then
    out[j + 1] = 'duplicate'
  else
    local forward
    if RANK[current] == 4 then forward = false
    elseif state == 'fallback' or (current == 'fallback' and state == 'routed') then forward = true
    else forward = RANK[state] > RANK[current] end
    if forward then
      redis.call('HSET', msgKey, 'state', state)
      redis.call('APPEND', tag .. ':hist:' .. id, '\\n' .. event)
      redis.call('XADD', tag .. ':reports:' .. tenant, 'MAXLEN', '~', reportMaxLen, '*', 's', event, 'r', ref)
      out[j + 1] = 'applied'
    else
      out[j + 1] = 'stale'
    end
  end
end
return out
`;

/**
 * Appends inbound messages to report streams, dropping repeated dedup keys.
 * KEYS: for each: seen key, reports key. ARGV: dedupTtlMs, reportMaxLen, count, then for each: inboundJson, hasDedupKey.
 */
export const RECORD_INBOUND_SCRIPT = `
local dedupTtl, reportMaxLen, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
for j = 0, n - 1 do
  local k, a = 1 + 2 * j, 4 + 2 * j
  if ARGV[a + 1] ~= '1' or redis.call('SET', KEYS[k], '1', 'PX', dedupTtl, 'NX') then
    redis.call('XADD', KEYS[k + 1], 'MAXLEN', '~', reportMaxLen, '*', 'i', ARGV[a])
  end
end
return n
`;

/**
 * Takes claimed entries off their streams and parks them in the delayed set until due.
 * KEYS: delayed, q:urgent, q:normal, q:bulk. ARGV: group, dueMs, count, then for each: lane (2..4), entryId, member.
 * A member is "<lane>|<attempts>|<payload>"; an entry no longer pending (already handled) is skipped.
 */
export const RETRY_LATER_SCRIPT = `
local group, due, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
for j = 0, n - 1 do
  local a = 4 + 3 * j
  local stream = KEYS[tonumber(ARGV[a])]
  if redis.call('XACK', stream, group, ARGV[a + 1]) == 1 then
    redis.call('XDEL', stream, ARGV[a + 1])
    redis.call('ZADD', KEYS[1], due, ARGV[a + 2])
  end
end
return n
`;

/**
 * Moves due members of the delayed set back into their queue streams.
 * KEYS: delayed, q:urgent, q:normal, q:bulk. ARGV: nowMs, limit. Returns how many moved.
 */
export const MOVE_DUE_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local lane, attempts, payload = string.match(member, '^(%d)|(%d+)|(.*)$')
  redis.call('XADD', KEYS[tonumber(lane)], '*', 'm', payload, 'a', attempts)
  redis.call('ZREM', KEYS[1], member)
end
return #due
`;

/**
 * Moves entries that failed too often to the dead-letter stream and marks them FAILED.
 * KEYS: dead, then for each: stream, msg key, hist key. ARGV: group, statusTtlMs, reportMaxLen, tag, count,
 * then for each: entryId, payload, failedEventJson.
 */
export const DEAD_LETTER_SCRIPT = `${STATE_RANKS}
local group, statusTtl, reportMaxLen, tag, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
for j = 0, n - 1 do
  local k, a = 2 + 3 * j, 6 + 3 * j
  local stream, msgKey, histKey = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  if redis.call('XACK', stream, group, ARGV[a]) == 1 then
    redis.call('XDEL', stream, ARGV[a])
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', 100000, '*', 'm', ARGV[a + 1], 'e', ARGV[a + 2])
    local fields = redis.call('HMGET', msgKey, 'state', 'tenant', 'ref')
    if fields[1] and RANK[fields[1]] < 4 then
      redis.call('HSET', msgKey, 'state', 'failed')
      redis.call('APPEND', histKey, '\\n' .. ARGV[a + 2])
      redis.call('XADD', tag .. ':reports:' .. fields[2], 'MAXLEN', '~', reportMaxLen, '*', 's', ARGV[a + 2], 'r', fields[3])
    end
  end
end
return n
`;
