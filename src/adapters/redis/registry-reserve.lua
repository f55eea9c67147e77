-- Raise the highest table version to at least ARGV[3] (never lower it), fenced by the writer lease.
-- KEYS[1] lease   KEYS[2] highest version   KEYS[3] last taker
-- ARGV[1] token   ARGV[2] lease length (ms)   ARGV[3] version
-- Returns the highest version after the call.
-- A lapsed lease nobody took since is this store's again (see registry-lease-renew.lua).
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] and (holder or redis.call('GET', KEYS[3]) ~= ARGV[1]) then
  return redis.error_reply('FENCED the registry lease is not held by this store')
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local version = tonumber(ARGV[3])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
if version > highest then
  redis.call('SET', KEYS[2], ARGV[3])
  return version
end
return highest
