-- expect: 'p' already closed in 'BTC' by action 1
return {name="dtwice", deleverage=function() return {{account = "p", market = "BTC", size = 1}, {account = "p", market = "BTC", size = 1}} end}
