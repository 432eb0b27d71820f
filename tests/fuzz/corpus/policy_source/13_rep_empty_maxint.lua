-- expect: string.rep: result over
return {name="rep0", haircut=function() return string.rep("", math.maxinteger) end}
