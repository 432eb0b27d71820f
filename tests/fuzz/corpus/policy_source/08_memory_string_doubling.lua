-- expect: exceeded its memory budget
return {name="dbl", haircut=function() local s = "x" while true do s = s .. s end end}
