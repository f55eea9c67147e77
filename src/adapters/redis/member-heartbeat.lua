-- Renew an instance's lease, unless it ran out or was taken over: a member declared dead
-- stays dead (fenced) and must join again under a new id.
-- KEYS[1] members   ARGV[1] id  ARGV[2] ttl ms
-- Returns 1 when renewed, 0 when fenced.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not ends or tonumber(ends) < now then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
