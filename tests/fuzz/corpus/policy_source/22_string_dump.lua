-- expect: attempt to call a nil value (field 'dump')
return {name="dump", haircut=function() return string.dump(function() end) end}
