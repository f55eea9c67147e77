-- Save one registry row and raise the highest version, fenced by the writer lease.
-- KEYS[1] lease   KEYS[2] rows (hash: name key -> record JSON)   KEYS[3] highest version   KEYS[4] last taker
-- ARGV[1] token   ARGV[2] lease length (ms)   ARGV[3] name key   ARGV[4] record JSON   ARGV[5] version
-- Returns the highest version after the save.
-- A lapsed lease nobody took since is this store's again (see registry-lease-renew.lua).
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] and (holder or redis.call('GET', KEYS[4]) ~= ARGV[1]) then
  return redis.error_reply('FENCED the registry lease is not held by this store')
end
-- Every write also extends the lease, so a busy server never depends on its timer alone.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
local version = tonumber(ARGV[5])
local highest = tonumber(redis.call('GET', KEYS[3]) or '0')
if version > highest then
  redis.call('SET', KEYS[3], ARGV[5])
  return version
end
return highest
