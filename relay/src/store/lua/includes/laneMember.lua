--[[
  The lanes' member encoding, in one place. The priority lane's members are bare job ids (scored
  by a sequence number); the normal lane's are "<seq, 12 digits>:<job id>" (scored by fair-share
  round), so that jobs of one round sort by submission order.
]]
local function normalLaneMember(seq, id)
  return string.format('%012d', seq) .. ':' .. id
end

-- The job id of a normal lane member (the 12 digits and the colon dropped).
local function normalLaneJobId(member)
  return string.sub(member, 14)
end

-- The job id of a priority lane member.
local function priorityLaneJobId(member)
  return member
end
