-- expect: exceeded its memory budget
return {name="cols", haircut=function() local k = {} for i = 1, 1000 do k[i] = socloss.column(1000000, 1) end end}
