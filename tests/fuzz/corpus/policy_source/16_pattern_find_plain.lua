-- expect: find found nothing
return {name="find", haircut=function() local r = string.find(("a"):rep(300), ".-.-.-b") error(r == nil and "find found nothing" or "pattern ran") end}
