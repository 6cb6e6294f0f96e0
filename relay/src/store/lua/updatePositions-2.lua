--[[
  Recompute every queued job's 1-based position in dispatch order (priority lane, then the fair
  normal lane) and report only the ones that changed, so exactly one relay announces each change.

  Input:
    KEYS[1] priority lane   KEYS[2] normal lane
    ARGV[1] key prefix
  Output:
    {queue length, id, position, id, position, ...} for the jobs whose position changed
]]
--- @include "laneMember"
local out = {0}
local pos = 0
local function walk(key, jobIdOf)
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    pos = pos + 1
    local id = jobIdOf(member)
    local jobKey = ARGV[1] .. 'job:' .. id
    if redis.call('HGET', jobKey, 'pos') ~= tostring(pos) then
      redis.call('HSET', jobKey, 'pos', pos)
      out[#out + 1] = id
      out[#out + 1] = pos
    end
  end
end
walk(KEYS[1], priorityLaneJobId)
walk(KEYS[2], normalLaneJobId)
out[1] = pos
return out
