-- expect: haircut action 1: 101 exceeds the equity 100 of 'q'
return {name="equity", haircut=function() return {{account = "q", amount = 101}} end}
