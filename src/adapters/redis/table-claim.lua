-- Set a name's row for its owner, with the next version of the whole system, and append the
-- change to the feed under that version. The first owner of a name keeps it: a claim by any
-- other owner changes nothing, so two instances racing for one free name get one winner.
-- A claim made by a server instance of several is refused when that instance's lease ran
-- out: an instance declared dead, whose clients were taken over, must not write over its
-- successor (fencing).
-- KEYS[1] rows (hash)  KEYS[2] owners (hash)  KEYS[3] version (string)  KEYS[4] feed (stream)
-- KEYS[5] sessions (hash name key -> "token home")  KEYS[6] members (sorted set)
-- ARGV[1] name key  ARGV[2] owner  ARGV[3] row JSON  ARGV[4] changes kept  ARGV[5] '1' to trim exactly
-- ARGV[6] session token  ARGV[7] home instance id ('' for none)
-- ARGV[8] '1' to claim only while the session token is ARGV[9] (a change about that session)
-- ARGV[10] the id of the instance making the claim ('' for none), fenced as above
-- Returns {1, version}, {0} when the name has another owner, {-1} when the home is fenced,
-- {-2} when the name's session is another one by now.
-- uses lease.lua
if ARGV[10] ~= '' and not lease_live(KEYS[6], ARGV[10], now_ms()) then
  return {-1}
end
if ARGV[8] == '1' then
  local held = redis.call('HGET', KEYS[5], ARGV[1])
  if held and string.match(held, '^(%S*)') ~= ARGV[9] then
    return {-2}
  end
end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then
  return {0}
end
if not current then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
local version = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[6] .. ' ' .. ARGV[7])
-- The entry id is the version: a follower reads on from the last version it applied.
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[4], version .. '-0', 'row', ARGV[3], 'owner', ARGV[2], 'token', ARGV[6], 'home', ARGV[7])
else
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], version .. '-0', 'row', ARGV[3], 'owner', ARGV[2], 'token', ARGV[6], 'home', ARGV[7])
end
return {1, version}
