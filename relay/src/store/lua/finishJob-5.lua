--[[
  Finish a claimed job (done | failed | cancelled): release its lease, its user's running slot and
  its backend slot, and record its run time for ETAs.

  Input:
    KEYS[1] job hash   KEYS[2] active leases   KEYS[3] per-user running counts
    KEYS[4] per-backend running counts   KEYS[5] recent run times (list)
    ARGV[1] owner ('' = any)   ARGV[2] final state   ARGV[3] now (ms)   ARGV[4] run ms (0 = don't record)
    ARGV[5..] field, value pairs
  Output:
     1 finished   -1 no such job   -2 owned by another relay   -3 already finished   -4 still queued
]]
local cur = redis.call('HMGET', KEYS[1], 'state', 'owner', 'userId', 'backend', 'id')
if not cur[1] then return -1 end
if cur[1] == 'done' or cur[1] == 'failed' or cur[1] == 'cancelled' then return -3 end
if cur[1] == 'queued' then return -4 end
if ARGV[1] ~= '' and cur[2] ~= ARGV[1] then return -2 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'finishedAt', ARGV[3], 'owner', '')
if #ARGV >= 5 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
redis.call('ZREM', KEYS[2], cur[5])
if redis.call('HINCRBY', KEYS[3], cur[3], -1) <= 0 then redis.call('HDEL', KEYS[3], cur[3]) end
if cur[4] then redis.call('HINCRBY', KEYS[4], cur[4], -1) end
if tonumber(ARGV[4]) > 0 then
  redis.call('LPUSH', KEYS[5], ARGV[4])
  redis.call('LTRIM', KEYS[5], 0, 49)
end
return 1
