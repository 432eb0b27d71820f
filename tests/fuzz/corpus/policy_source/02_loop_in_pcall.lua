-- expect: instruction budget exceeded
return {name="loop_pcall", haircut=function() while true do pcall(function() while true do end end) end end}
