--[[
  Move a job between the operator priority lane and the normal lane. A queued job moves in its
  queue at once (and 'pos', the position it is announced with, is its new one: its mover
  publishes it); for a job already running only the recorded lane changes.

  Input:
    KEYS[1] job hash   KEYS[2] priority lane   KEYS[3] normal lane   KEYS[4] sequence counter
    ARGV[1] lane: 'priority' | 'normal'
  Output:
     1 moved (or already there)   0 recorded, job not queued   -1 no such job
]]
--- @include "queuePosition"
local cur = redis.call('HMGET', KEYS[1], 'state', 'lane', 'id', 'qm', 'round')
if not cur[1] then return -1 end
if cur[2] == ARGV[1] then return 1 end
redis.call('HSET', KEYS[1], 'lane', ARGV[1])
if cur[1] ~= 'queued' then return 0 end
if ARGV[1] == 'priority' then
  redis.call('ZREM', KEYS[3], cur[4])
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), cur[3])
else
  redis.call('ZREM', KEYS[2], cur[3])
  redis.call('ZADD', KEYS[3], cur[5], cur[4])
end
redis.call('HSET', KEYS[1], 'pos', queuePosition(KEYS[2], KEYS[3], ARGV[1], cur[3], cur[4]) or '')
return 1
