-- expect: haircut action 1: amount 0 must be > 0
return {name="zero", haircut=function() return {{account = "p", amount = 0}} end}
