--[[
  Read a job with its queue position computed now, in O(log n) (see queuePosition): positions are
  derived from the lanes on every read, never stored per job.

  Input:
    KEYS[1] job hash   KEYS[2] priority lane   KEYS[3] normal lane
  Output:
    {HGETALL of the job (empty when there is none), position (0 when not queued)}
]]
--- @include "queuePosition"
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return {hash, 0} end
local cur = redis.call('HMGET', KEYS[1], 'state', 'lane', 'id', 'qm')
if cur[1] ~= 'queued' then return {hash, 0} end
return {hash, queuePosition(KEYS[2], KEYS[3], cur[2], cur[3], cur[4]) or 0}
