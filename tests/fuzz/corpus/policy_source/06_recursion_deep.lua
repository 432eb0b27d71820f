-- expect: stack overflow
local function f(n) return 1 + f(n + 1) end
return {name="deep", haircut=function() return f(1) end}
