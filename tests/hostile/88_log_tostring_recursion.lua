-- decides: haircut p 1
-- log: table table table nil false
-- A table whose __tostring logs itself, a table holding itself, and an
-- attempt at a metatable: socloss.log formats by type and never calls
-- into Lua (no __tostring, no __name), so nothing recurses; tostring never
-- does either, and setmetatable is not there.
return {name = "log_recursion", haircut = function(ctx)
  local t = {}
  t.__tostring = function(self) socloss.log(self) return tostring(self) end
  local loop = {}
  loop.self = loop
  local ok = pcall(function() return setmetatable(t, t) end)
  socloss.log(t, loop, tostring(t), setmetatable, ok)
  return {{account = "p", amount = 1}}
end}
