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
