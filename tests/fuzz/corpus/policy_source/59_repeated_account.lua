-- expect: haircut action 2: 'p' already charged by action 1
return {name="twice", haircut=function() return {{account = "p", amount = 1}, {account = "p", amount = 1}} end}
