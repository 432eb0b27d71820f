-- expect: exceeded its memory budget
return {name="cat", haircut=function() local t = {} for i = 1, 1e5 do t[i] = ("x"):rep(1000000) end return table.concat(t) end}
