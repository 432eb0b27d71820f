-- expect: attempt to call a nil value (global 'require')
return {name="require", haircut=function() require("os") end}
