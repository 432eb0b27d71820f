-- expect: deleverage action 1: size 11 exceeds the 10 lots 'p' holds in 'BTC'
return {name="many", deleverage=function() return {{account = "p", market = "BTC", size = 11}} end}
