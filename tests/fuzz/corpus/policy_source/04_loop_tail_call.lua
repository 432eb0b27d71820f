-- expect: exceeded its instruction budget
local function f() return f() end
return {name="tail", haircut=function() return f() end}
