-- expect: attempt to call a nil value (global 'next')
return {name="next", haircut=function() return next({a = 1}) end}
