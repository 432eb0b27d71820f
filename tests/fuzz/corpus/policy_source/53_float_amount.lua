-- expect: amount is a float (1.5), not an integer
return {name="float", haircut=function() return {{account = "p", amount = 1.5}} end}
