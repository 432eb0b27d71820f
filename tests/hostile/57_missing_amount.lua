-- expect: amount is missing
return {name="miss", haircut=function() return {{account = "p"}} end}
