-- expect: exceeded its memory budget
return {name="mem", haircut=function() local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(100000) .. i end end}
