-- expect: attempt to call a nil value (global 'setmetatable')
local t = setmetatable({}, {__mode = "v", __newindex = {}})
return {name="uaf", haircut=function() end}
