-- Remove messages (by message id) from a recipient's mailbox.
-- KEYS[1] stream   KEYS[2] ids   KEYS[3] meta   (as in mailbox-append.lua)
-- ARGV: the message ids; ids not stored are ignored.
-- Returns how many were removed.
local removed = 0
local freed = 0
for i = 1, #ARGV do
  local entry = redis.call('HGET', KEYS[2], ARGV[i])
  if entry then
    local found = redis.call('XRANGE', KEYS[1], entry, entry)
    if #found == 1 then
      local fields = found[1][2]
      for f = 1, #fields, 2 do
        if fields[f] == 'bytes' then freed = freed + tonumber(fields[f + 1]) end
      end
      redis.call('XDEL', KEYS[1], entry)
    end
    redis.call('HDEL', KEYS[2], ARGV[i])
    removed = removed + 1
  end
end
if removed > 0 then
  if redis.call('HLEN', KEYS[2]) == 0 then
    -- An emptied stream would stay as a key; the counter in meta keeps the places in line.
    redis.call('DEL', KEYS[1])
    redis.call('HDEL', KEYS[3], 'bytes')
  else
    redis.call('HINCRBY', KEYS[3], 'bytes', -freed)
  end
end
return removed
