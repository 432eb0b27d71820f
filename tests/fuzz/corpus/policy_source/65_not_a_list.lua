-- expect: haircut must return a list of actions, not number
return {name="num", haircut=function() return 42 end}
