-- Set a name's row for its owner, with the next version of the whole system, and append the
-- change to the feed under that version. The first owner of a name keeps it: a claim by any
-- other owner changes nothing, so two instances racing for one free name get one winner.
-- KEYS[1] rows (hash)  KEYS[2] owners (hash)  KEYS[3] version (string)  KEYS[4] feed (stream)
-- ARGV[1] name key  ARGV[2] owner  ARGV[3] row JSON  ARGV[4] changes kept  ARGV[5] '1' to trim exactly
-- Returns {1, version} or {0} when the name has another owner.
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then
  return {0}
end
if not current then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
local version = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
-- The entry id is the version: a follower reads on from the last version it applied.
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[4], version .. '-0', 'row', ARGV[3])
else
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], version .. '-0', 'row', ARGV[3])
end
return {1, version}
