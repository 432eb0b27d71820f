-- expect: attempt to call a nil value (global 'getmetatable')
return {name="gmt", haircut=function() getmetatable("").__index = {} end}
