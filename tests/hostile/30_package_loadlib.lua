-- expect: attempt to index a nil value (global 'package')
return {name="pkg", haircut=function() package.loadlib("libc.so.6", "system") end}
