-- expect: exceeded its memory budget
return {name="cat", haircut=function() local t = {} for i = 1, 1e7 do t[i] = "xxxxxxxxxxxxxxxx" .. i end return table.concat(t) end}
