-- Record a send_all (or, for an id still owed to someone, the members a retry adds).
-- KEYS[1] order (sorted set: id -> place, oldest first)   KEYS[2] order counter
-- KEYS[3] entry (hash: sender, text, at)   KEYS[4] to (list: every member recorded, in order)
-- KEYS[5] owed (set: members not reached yet)
-- ARGV[1] id   ARGV[2] sender   ARGV[3] text   ARGV[4] storedAtMs   ARGV[5] the recording
-- instance's id (empty: none)   ARGV[6..] member name keys
-- Returns how many members were added. One atomic step, so concurrent retries of one id
-- record each member once.
local owed = redis.call('SCARD', KEYS[5])
local have = {}
if owed == 0 then
  -- Never recorded, or no longer owed to anyone: it is recorded afresh (its members dedup the copy).
  redis.call('DEL', KEYS[3], KEYS[4])
else
  for _, member in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do have[member] = true end
  -- A retry through another instance: that one is pushing it now (a takeover spares it).
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'by', ARGV[5]) end
end
local added = {}
for i = 6, #ARGV do
  local member = ARGV[i]
  if not have[member] then
    have[member] = true
    added[#added + 1] = member
  end
end
if #added == 0 then
  return 0
end
if owed == 0 then
  redis.call('HSET', KEYS[3], 'sender', ARGV[2], 'text', ARGV[3], 'at', ARGV[4])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'by', ARGV[5]) end
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
end
-- In slices: unpack() of thousands of members would overflow Lua's stack.
for first = 1, #added, 500 do
  local slice = {}
  for i = first, math.min(first + 499, #added) do slice[#slice + 1] = added[i] end
  redis.call('RPUSH', KEYS[4], unpack(slice))
  redis.call('SADD', KEYS[5], unpack(slice))
end
return #added
