-- expect: attempt to call a nil value (method 'dump')
return {name="dumpm", haircut=function() return (""):dump() end}
