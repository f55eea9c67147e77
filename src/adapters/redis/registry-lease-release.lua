-- Give the lease up, only if it is still ours (an expired lease may belong to another server now).
-- KEYS[1] lease   ARGV[1] token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
