-- expect: attempt to index a nil value (global 'debug')
return {name="dbg", haircut=function() debug.sethook() while true do end end}
