-- expect: account 'a' is the bankrupt account itself
return {name="self", haircut=function() return {{account = "a", amount = 1}} end}
