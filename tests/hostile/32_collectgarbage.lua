-- expect: attempt to call a nil value (global 'collectgarbage')
return {name="gc", haircut=function() collectgarbage("stop") end}
