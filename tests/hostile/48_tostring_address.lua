-- expect: 48_tostring_address.lua:2: table
return {name="addr", haircut=function() error(tostring({})) end}
