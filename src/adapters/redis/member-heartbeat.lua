-- Renew an instance's lease, unless it ran out or was taken over: a member declared dead
-- stays dead (fenced) and must join again under a new id.
-- KEYS[1] members   ARGV[1] id  ARGV[2] ttl ms
-- Returns 1 when renewed, 0 when fenced.
-- uses lease.lua
local now = now_ms()
if not lease_live(KEYS[1], ARGV[1], now) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
