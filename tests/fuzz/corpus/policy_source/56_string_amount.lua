-- expect: amount is a string, not an integer
return {name="str", haircut=function() return {{account = "p", amount = "100"}} end}
