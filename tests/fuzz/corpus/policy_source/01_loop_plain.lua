-- expect: exceeded its instruction budget
return {name="loop", haircut=function() while true do end end}
