-- expect: deleverage action 1: 'l' holds no opposite position in 'BTC'
return {name="side", deleverage=function() return {{account = "l", market = "BTC", size = 1}} end}
