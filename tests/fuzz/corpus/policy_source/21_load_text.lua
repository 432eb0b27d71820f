-- expect: attempt to call a nil value (global 'load')
return {name="load", haircut=function() return load("return 1")() end}
