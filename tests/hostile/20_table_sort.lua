-- expect: attempt to call a nil value (field 'sort')
return {name="sort", haircut=function() table.sort({3, 1, 2}) end}
