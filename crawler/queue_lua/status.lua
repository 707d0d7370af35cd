-- ARGV: prefix.  Returns {pending, leased} after reclaiming expired leases.
reclaim(now_ms())
local n = redis.call('ZCARD', leased)
return {redis.call('HLEN', links) - n, n}
