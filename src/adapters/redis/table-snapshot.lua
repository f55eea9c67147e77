-- The whole table at one version, atomically, giving the store an epoch if it has none (a
-- Redis that lost its data lost its epoch too, so followers of the old one resync).
-- KEYS[1] epoch  KEYS[2] version  KEYS[3] rows (hash)  KEYS[4] owners (hash)  KEYS[5] sessions (hash)
-- ARGV[1] a new random epoch, used only if there is none
-- Returns {epoch, version, rows, owners, sessions}, each hash as a flat name key, value list.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[1])
local version = tonumber(redis.call('GET', KEYS[2]) or '0')
return {epoch, version, redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('HGETALL', KEYS[5])}
