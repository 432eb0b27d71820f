-- expect: amount is a float (100.0), not an integer
return {name="float1", haircut=function() return {{account = "p", amount = 100.0}} end}
