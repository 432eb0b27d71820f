-- expect: attempt to call a nil value (global 'setmetatable')
setmetatable({}, {__gc = function() while true do end end})
return {name="gcfin", haircut=function() end}
