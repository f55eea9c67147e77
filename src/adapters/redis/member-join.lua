-- Add an instance with a lease ending ttl ms from now on Redis's clock, and its address.
-- KEYS[1] members (zset id -> lease end, ms)  KEYS[2] the instance's hash
-- ARGV[1] id  ARGV[2] ttl ms  ARGV[3] ip  ARGV[4] port
-- uses lease.lua
local now = now_ms()
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], 'ip', ARGV[3], 'port', ARGV[4], 'joined', now)
return now
