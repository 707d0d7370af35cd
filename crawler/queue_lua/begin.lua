-- ARGV: prefix, job id, settings JSON.  Starts a job unless links of another are still
-- queued; returns how many are. (Idle, only ids acknowledged while pending may be left in
-- the pending lists, all of ready hosts: cleared.)
reclaim(now_ms())
local busy = redis.call('HLEN', links)
if busy > 0 then return busy end
for _, h in ipairs(redis.call('LRANGE', ready, 0, -1)) do redis.call('DEL', pending(h)) end
redis.call('DEL', links, host_of, ready, ready_set, held, leased, deliveries, given_up)
redis.call('HSET', job, 'id', ARGV[2], 'settings', ARGV[3])
return 0
