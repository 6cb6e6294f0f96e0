--[[
  Take over one claimed job whose owner stopped renewing its lease (a relay that died, even by
  kill -9). The caller resumes it through Backend.run with its resume info, never resubmits blindly.

  Input:
    KEYS[1] active leases (zset: deadline → id)
    ARGV[1] key prefix   ARGV[2] new owner   ARGV[3] now (ms)   ARGV[4] lease (ms)
  Output:
    the job id taken over (also when its stale lease was this relay's own), or nil
]]
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, 10)
for _, id in ipairs(stale) do
  local jobKey = ARGV[1] .. 'job:' .. id
  local state = redis.call('HGET', jobKey, 'state')
  if not state or state == 'done' or state == 'failed' or state == 'cancelled' or state == 'queued' then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('HSET', jobKey, 'owner', ARGV[2])
    redis.call('HINCRBY', jobKey, 'takeovers', 1)
    redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), id)
    return id
  end
end
return nil
