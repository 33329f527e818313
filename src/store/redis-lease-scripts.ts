/**
 * Renews a node's claims on one lane stream: KEYS[1] the stream; ARGV group, consumer, then entry
 * ids. Each entry still pending for this consumer gets its idle time reset (XCLAIM to itself with
 * JUSTID, which does not count as a delivery), so other nodes do not take over messages a live
 * node is still working on (a batch waiting on a slow or throttled supplier). Entries acked
 * meanwhile, or already taken over by another node, are left alone. Returns how many were renewed.
 */
export const RENEW_CLAIMS_SCRIPT = `
local group, me = ARGV[1], ARGV[2]
local renewed = 0
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], group, ARGV[i], ARGV[i], 1)
  if pending[1] ~= nil and pending[1][2] == me then
    redis.call('XCLAIM', KEYS[1], group, me, 0, ARGV[i], 'JUSTID')
    renewed = renewed + 1
  end
end
return renewed
`;

/**
 * Forgets the consumers of one lane stream's group that hold nothing and were idle at least
 * minIdleMs, other than the caller (RELIABILITY E3). Every node start makes a consumer of its own,
 * so nodes that crash or restart leave theirs behind once their claims are taken over; without
 * this, XINFO CONSUMERS grows by one per lane per shard per restart for ever. Checked and deleted
 * in one script: XGROUP DELCONSUMER drops the consumer's pending entries, so a consumer that
 * claimed something between a check and a delete would lose it. A live node whose consumer is
 * forgotten (a lane it had no reason to read) gets it back on its next read.
 * KEYS: the lane stream. ARGV: group, caller's consumer, minIdleMs. Returns how many were forgotten.
 */
export const FORGET_IDLE_CONSUMERS_SCRIPT = `
local group, me, minIdle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local forgotten = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], group)) do
  local name, pending, idle
  for f = 1, #consumer, 2 do
    if consumer[f] == 'name' then name = consumer[f + 1]
    elseif consumer[f] == 'pending' then pending = consumer[f + 1]
    elseif consumer[f] == 'idle' then idle = consumer[f + 1] end
  end
  if name ~= me and pending == 0 and idle >= minIdle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, name)
    forgotten = forgotten + 1
  end
end
return forgotten
`;
