-- expect: unknown account 'nobody'
return {name="unknown", haircut=function() return {{account = "nobody", amount = 1}} end}
