--[[
  Change a claimed job's phase and/or fields, only while this relay owns it and it is not finished.

  Input:
    KEYS[1] job hash
    ARGV[1] owner ('' = any)   ARGV[2] new state ('' = keep)   ARGV[3..] field, value pairs
  Output:
     1 updated   -1 no such job   -2 owned by another relay   -3 already finished
]]
local cur = redis.call('HMGET', KEYS[1], 'state', 'owner')
if not cur[1] then return -1 end
if cur[1] == 'done' or cur[1] == 'failed' or cur[1] == 'cancelled' then return -3 end
if ARGV[1] ~= '' and cur[2] ~= ARGV[1] then return -2 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[2]) end
if #ARGV >= 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
return 1
