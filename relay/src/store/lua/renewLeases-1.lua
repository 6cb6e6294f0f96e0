--[[
  Heartbeat: extend this relay's leases on the jobs it is running.

  Input:
    KEYS[1] active leases (zset: deadline → id)
    ARGV[1] key prefix   ARGV[2] owner   ARGV[3] new deadline (ms)   ARGV[4..] job ids
  Output:
    one code per id: 1 renewed, 2 renewed and a cancel was requested, 0 lost (another owner or finished)
]]
local out = {}
for i = 4, #ARGV do
  local cur = redis.call('HMGET', ARGV[1] .. 'job:' .. ARGV[i], 'owner', 'state', 'cancelRequested')
  local live = cur[2] and cur[2] ~= 'done' and cur[2] ~= 'failed' and cur[2] ~= 'cancelled'
  if cur[1] == ARGV[2] and live and redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[i])
    if cur[3] then out[#out + 1] = 2 else out[#out + 1] = 1 end
  else
    out[#out + 1] = 0
  end
end
return out
