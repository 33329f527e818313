import { MAX_HISTORY_EVENTS } from './store.js';

/**
 * The Lua scripts of the Redis store. Each runs on one shard (one hash tag) and works on a whole
 * batch, so a batch costs one round trip. Every script is idempotent: ioredis may send a command
 * again after a reconnect, and running a script twice must not store a message twice.
 */

/**
 * Shared by the scripts that write reports: lines are collected per tenant and written as one
 * report-stream entry per tenant per call (field "b", lines joined by newlines), instead of one
 * entry per event. A line is "s<clientRef>\t<messageId>\t<statusEventLine>" (status-event-line.ts)
 * or "i\t<inboundJson>".
 */
const REPORT_LINES = `
local reportLines, reportTenants = {}, {}
local function addReport(tenant, line)
  local lines = reportLines[tenant]
  if not lines then
    lines = {}
    reportLines[tenant] = lines
    reportTenants[#reportTenants + 1] = tenant
  end
  lines[#lines + 1] = line
end
local function reportLine(ref, id, event)
  return 's' .. ref .. '\\t' .. id .. '\\t' .. event
end
local function flushReports(tag, maxLen)
  for _, tenant in ipairs(reportTenants) do
    redis.call('XADD', tag .. ':reports:' .. tenant, 'MAXLEN', '~', maxLen, '*', 'b', table.concat(reportLines[tenant], '\\n'))
  end
end
`;

/**
 * The per-message fields of a batch arrive as one argument, joined by U+001F (which JSON, ids and
 * client_refs never contain): one string for ioredis to encode instead of thousands of arguments.
 */
const SPLIT_FIELDS = `
local function splitFields(packed)
  -- Local functions and a counter instead of #fields: a fifth less per field (called per field).
  local find, sub = string.find, string.sub
  local fields, start, n = {}, 1, 0
  while true do
    local at = find(packed, '\\31', start, true)
    n = n + 1
    if not at then
      fields[n] = sub(packed, start)
      return fields
    end
    fields[n] = sub(packed, start, at - 1)
    start = at + 1
  end
end
`;

/**
 * Shared by the scripts that apply status events: the progress rank of each state, and the message
 * record. A message is one string key, so applying an event is one GET and one SET:
 *   "<state>\t<tenant>\t<clientRef>\t<tagsJson>" then, per status event, "\n<statusEventLine>".
 * (Tenant ids and client_refs cannot hold tabs; JSON escapes tabs and newlines.)
 */
const STATE_RANKS = `
local RANK = { accepted = 1, deferred = 1.5, routed = 2, fallback = 2, submitted = 3,
  delivered = 4, failed = 4, expired = 4, rejected = 4, cancelled = 4 }
-- A record as its state, tenant, client_ref and the rest after the state ("\\t<tenant>\\t<ref>\\t<tags>"
-- then the history): an update writes state .. rest (.. new lines), so the tags and history are
-- never taken apart. Plain searches for the first three tabs, no pattern (a third of the cost).
local function readRecord(record)
  local t1 = string.find(record, '\\t', 1, true)
  local t2 = string.find(record, '\\t', t1 + 1, true)
  local t3 = string.find(record, '\\t', t2 + 1, true)
  return string.sub(record, 1, t1 - 1), string.sub(record, t1 + 1, t2 - 1), string.sub(record, t2 + 1, t3 - 1), string.sub(record, t1)
end
-- An overtaken non-final event (a submit answer after its delivery report) goes in before the
-- first final event, so the history reads in state-machine order; others go at the end. (The
-- header part of rest holds no newline: JSON tags escape it.)
local function keepStale(rest, state, event)
  if RANK[state] < 4 then
    for at, lineState in string.gmatch(rest, '()\\n([a-z]+)\\t') do
      if RANK[lineState] == 4 then return string.sub(rest, 1, at - 1) .. '\\n' .. event .. string.sub(rest, at) end
    end
  end
  return rest .. '\\n' .. event
end
`;

/**
 * Stores and queues a batch of messages of one shard.
 * KEYS: q:urgent, q:normal, q:bulk (declared); the per-message keys are derived here from the
 * shard tag, so they are in the same slot (this keeps the argument list, the dominant cost of a
 * large batch, to a few strings per message).
 * ARGV: tag, dedupTtlMs, statusTtlMs, reportMaxLen, maxQueued, count, and the packed fields
 *   (SPLIT_FIELDS), for each message: messageId, lane (1..3), tenant, clientRef ('' for none),
 *   tagsJson, payload, acceptedEventLine, client_ref fingerprint ('' for none).
 * Returns for each message 'A' (stored), 'D<messageId>\t<fingerprint>' (client_ref seen before,
 * with what it holds: the caller tells a retry from a conflict, since only it can hash with every
 * key of store.encryption; 'D<messageId>' alone when stored before fingerprints) or 'F' (queue full).
 * The message record (see STATE_RANKS) expires statusTtl after acceptance.
 */
export const ENQUEUE_SCRIPT = `${REPORT_LINES}${SPLIT_FIELDS}
local tag, dedupTtl, statusTtl, reportMaxLen, maxQueued, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local F = splitFields(ARGV[7])
local queued = redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[2]) + redis.call('XLEN', KEYS[3])
local out = {}
for j = 0, n - 1 do
  local a = 1 + 8 * j
  local id, lane, tenant, ref = F[a], tonumber(F[a + 1]), F[a + 2], F[a + 3]
  local refKey, earlier = nil, false
  if ref ~= '' then
    refKey = tag .. ':ref:' .. tenant .. ':' .. ref
    earlier = redis.call('GET', refKey)
  end
  if earlier and string.match(earlier, '^[^\t]*') ~= id then
    out[j + 1] = 'D' .. earlier
  elseif queued >= maxQueued then
    out[j + 1] = 'F'
  elseif not redis.call('SET', tag .. ':msg:' .. id, 'accepted\\t' .. tenant .. '\\t' .. ref .. '\\t' .. F[a + 4] .. '\\n' .. F[a + 6], 'PX', statusTtl, 'NX') then
    -- The same call sent again (client library resend): it is stored already.
    out[j + 1] = 'A'
  else
    if ref ~= '' then redis.call('SET', refKey, id .. '\t' .. F[a + 7], 'PX', dedupTtl) end
    -- No attempts field: a new entry has none (read as 0); retries carry theirs.
    redis.call('XADD', KEYS[lane], '*', 'm', F[a + 5])
    addReport(tenant, reportLine(ref, id, F[a + 6]))
    queued = queued + 1
    out[j + 1] = 'A'
  end
end
flushReports(tag, reportMaxLen)
return out
`;

/**
 * Claims up to `count` entries of one shard for a consumer, reading its lanes in the order given
 * (urgent first): a lane is read only when the ones before it could not fill the count, so an
 * idle lane costs no round trip and the whole read is one call per shard.
 * KEYS: the shard's lane streams to read, in order. ARGV: group, consumer, count.
 * Returns one string (one reply to decode instead of nested arrays): per entry, the 1-based index
 * of its lane in KEYS, the entry id, its attempts before this claim ('0' when it has no "a"
 * field) and its payload ('' when it has no "m" field), all joined by U+001F, which payloads
 * never hold (queued-message-payload.ts; JSON escapes it).
 */
export const CLAIM_SCRIPT = `
local group, consumer, left = ARGV[1], ARGV[2], tonumber(ARGV[3])
-- Pieces go straight into one table joined once: no string per entry (a tenth less per message).
local out, n = {}, 0
for lane = 1, #KEYS do
  if left <= 0 then break end
  local reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', left, 'STREAMS', KEYS[lane], '>')
  if reply then
    local entries = reply[1][2]
    for _, entry in ipairs(entries) do
      local fields, payload, attempts = entry[2], '', '0'
      for f = 1, #fields, 2 do
        if fields[f] == 'm' then payload = fields[f + 1] elseif fields[f] == 'a' then attempts = fields[f + 1] end
      end
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = lane, entry[1], attempts, payload
      n = n + 4
    end
    left = left - #entries
  end
end
return table.concat(out, '\\31')
`;

/**
 * Applies status events to messages of one shard, keeping the state machine monotone, and
 * appends each applied event to the message's history and its tenant's report stream.
 * KEYS: one key of the shard (only to route the call to the node that owns the shard's slot);
 * the keys used are derived from the shard tag. History and status keep the TTL set at acceptance.
 * ARGV: tag, dedupTtlMs, reportMaxLen, count, and the packed fields (SPLIT_FIELDS), for each event:
 *   messageId, state, statusEventLine, dedupKey ('' for none).
 * Returns one letter per event, as one string (one reply to decode, not one per event): a(pplied),
 * s(tale), u(nknown message) or d(uplicate).
 */
export const RECORD_EVENTS_SCRIPT = `${STATE_RANKS}${REPORT_LINES}${SPLIT_FIELDS}
local tag, dedupTtl, reportMaxLen, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local F = splitFields(ARGV[5])
local out = {}
-- The record of the message being worked on (state nil: no such message), in locals rather than
-- a table per message: consecutive events of one message (e.g. ROUTED and SUBMITTED of one
-- dispatch) cost one GET and one SET.
local mId, mKey, mState, mTenant, mRef, mRest, mChanged
local function save()
  if mChanged then redis.call('SET', mKey, mState .. mRest, 'KEEPTTL') end
end
for j = 0, n - 1 do
  local a = 1 + 4 * j
  local id, state, event, dedupKey = F[a], F[a + 1], F[a + 2], F[a + 3]
  -- "~<state>": kept in the history only, never applied (EventToRecord.historyOnly).
  local historyOnly = string.byte(state, 1) == 126
  if historyOnly then state = string.sub(state, 2) end
  if mId ~= id then
    save()
    mId, mKey, mState, mChanged = id, tag .. ':msg:' .. id, nil, false
    local record = redis.call('GET', mKey)
    if record then mState, mTenant, mRef, mRest = readRecord(record) end
  end
  if not mState then
    out[j + 1] = 'u'
  elseif dedupKey ~= '' and not redis.call('SET', tag .. ':seen:' .. dedupKey, '1', 'PX', dedupTtl, 'NX') then
    out[j + 1] = 'd'
  else
    local forward
    if historyOnly or RANK[mState] == 4 then forward = false
    elseif state == 'fallback' or (mState == 'fallback' and state == 'routed') then forward = true
    elseif mState == 'fallback' and state == 'submitted' then forward = false
    else forward = RANK[state] > RANK[mState] end
    if forward then
      mState, mRest, mChanged = state, mRest .. '\\n' .. event, true
      addReport(mTenant, reportLine(mRef, id, event))
      -- Final: nothing moves the message on, so its fallback plan goes now, not with the hash's TTL.
      if RANK[state] == 4 then redis.call('HDEL', tag .. ':fb:' .. id, 'plan') end
      out[j + 1] = 'a'
    else
      -- Kept on record, not reported (MessageStore.recordEvents). A stale FALLBACK (on a final message) is a move that did not happen.
      if (historyOnly or (state ~= mState and state ~= 'accepted' and state ~= 'deferred' and state ~= 'fallback')) and select(2, string.gsub(mRest, '\\n', '')) < ${MAX_HISTORY_EVENTS} then
        mRest, mChanged = keepStale(mRest, state, event), true
      end
      out[j + 1] = 's'
    end
  end
end
save()
flushReports(tag, reportMaxLen)
return table.concat(out)
`;

/**
 * Appends inbound messages to their tenants' report streams, dropping repeated dedup keys.
 * KEYS: one key of the shard (routing only). ARGV: tag, dedupTtlMs, reportMaxLen, count, then for
 * each: tenant, inboundJson, dedupKey ('' for none).
 */
export const RECORD_INBOUND_SCRIPT = `${REPORT_LINES}
local tag, dedupTtl, reportMaxLen, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
for j = 0, n - 1 do
  local a = 5 + 3 * j
  local dedupKey = ARGV[a + 2]
  if dedupKey == '' or redis.call('SET', tag .. ':seen:' .. dedupKey, '1', 'PX', dedupTtl, 'NX') then
    addReport(ARGV[a], 'i\\t' .. ARGV[a + 1])
  end
end
flushReports(tag, reportMaxLen)
return n
`;

/**
 * Takes claimed entries off their streams and parks them in the delayed set until due.
 * KEYS: delayed, q:urgent, q:normal, q:bulk. ARGV: group, dueMs, count, then for each: lane (2..4), entryId, member.
 * A member is "<lane>|<attempts>|<payload>"; an entry no longer pending (already handled) is skipped.
 * retryLater parks the claimed message itself; completeAsFallbacks parks the message moved on to
 * its next channel (its own lane, no attempts), so ending the claim and queueing the move is one step.
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
 * KEYS: dead, then for each: its queue stream. ARGV: group, reportMaxLen, tag, count, then for
 * each: entryId, messageId, payload, failedEventLine.
 */
export const DEAD_LETTER_SCRIPT = `${STATE_RANKS}${REPORT_LINES}
local group, reportMaxLen, tag, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
for j = 0, n - 1 do
  local stream, a = KEYS[2 + j], 5 + 4 * j
  if redis.call('XACK', stream, group, ARGV[a]) == 1 then
    redis.call('XDEL', stream, ARGV[a])
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', 100000, '*', 'm', ARGV[a + 2], 'e', ARGV[a + 3])
    local msgKey = tag .. ':msg:' .. ARGV[a + 1]
    local record = redis.call('GET', msgKey)
    if record then
      local current, tenant, ref, rest = readRecord(record)
      if RANK[current] < 4 then
        redis.call('SET', msgKey, 'failed' .. rest .. '\\n' .. ARGV[a + 3], 'KEEPTTL')
        addReport(tenant, reportLine(ref, ARGV[a + 1], ARGV[a + 3]))
      end
    end
  end
end
flushReports(tag, reportMaxLen)
return n
`;
