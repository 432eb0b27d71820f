-- expect: attempt to index a nil value (global 'coroutine')
return {name="co", haircut=function() coroutine.wrap(function() while true do end end)() end}
