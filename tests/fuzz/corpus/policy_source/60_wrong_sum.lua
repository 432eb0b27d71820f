-- expect: the haircuts add up to 1600, more than the shortfall 1500
return {name="sum", haircut=function() return {{account = "p", amount = 1000}, {account = "r", amount = 500}, {account = "s", amount = 100}} end}
