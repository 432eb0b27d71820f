-- expect: string.rep: result over
return {name="rep", haircut=function() return string.rep("x", 1e9) end}
