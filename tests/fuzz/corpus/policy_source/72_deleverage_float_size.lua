-- expect: size is a float (2.5), not an integer
return {name="fsize", deleverage=function() return {{account = "p", market = "BTC", size = 2.5}} end}
