-- expect: attempt to call a nil value (field 'move')
return {name="move", haircut=function() table.move({}, 1, 3e8, 2) end}
