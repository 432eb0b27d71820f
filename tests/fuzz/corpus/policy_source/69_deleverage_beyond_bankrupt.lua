-- expect: closes 30 lots in 'BTC' in all, more than the 25 of 'a'
return {name="beyond", deleverage=function() return {{account = "p", market = "BTC", size = 10}, {account = "q", market = "BTC", size = 10}, {account = "r", market = "BTC", size = 5}, {account = "s", market = "BTC", size = 5}} end}
