--[[
  The queued job ids in dispatch order: the priority lane, then the fair normal lane.

  Input:
    KEYS[1] priority lane   KEYS[2] normal lane
  Output:
    {id, id, ...}
]]
--- @include "laneMember"
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = priorityLaneJobId(member)
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  out[#out + 1] = normalLaneJobId(member)
end
return out
