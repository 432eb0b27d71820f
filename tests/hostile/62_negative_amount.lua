-- expect: haircut action 1: amount -5 must be > 0
return {name="neg", haircut=function() return {{account = "p", amount = -5}} end}
