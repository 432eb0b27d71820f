-- expect: attempt to call a nil value (global 'xpcall')
return {name="xp", haircut=function() xpcall(function() while true do end end, function() while true do end end) end}
