-- expect: amount is NaN, not an integer
return {name="nan", haircut=function() return {{account = "p", amount = 0/0}} end}
