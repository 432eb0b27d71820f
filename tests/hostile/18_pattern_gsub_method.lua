-- expect: attempt to call a nil value (method 'gsub')
return {name="gsub", haircut=function() return ("aaa"):gsub("a", "b") end}
