-- expect: string.rep: no separator allowed
return {name="repsep", haircut=function() return ("x"):rep(10, ",") end}
