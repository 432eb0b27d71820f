-- expect: 'ETH' is not one of the deficit's markets
return {name="mkt", deleverage=function() return {{account = "p", market = "ETH", size = 1}} end}
