-- The time and the leases of server instances, on Redis's clock (the one clock every instance
-- shares). Not a script of its own: lua-script.ts puts it in place of a script's line
-- `-- uses lease.lua`.
-- KEYS and ARGV are the including script's.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Whether instance `id` holds a lease in `members` (sorted set: id -> lease end, ms) that has
-- not run out at `now`. An instance declared dead stays dead (fenced): it joins again under a new id.
local function lease_live(members, id, now)
  local ends = redis.call('ZSCORE', members, id)
  return ends ~= false and tonumber(ends) >= now
end
