-- expect: attempt to call a nil value (field 'match')
return {name="match", haircut=function() return string.match(("a"):rep(500), ".-.-.-.-b") end}
