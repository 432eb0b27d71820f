-- expect: memory budget exceeded
return {name="mpcall", haircut=function() for i = 1, 100 do pcall(function() local s = "x" while true do s = s .. s end end) end return {} end}
