-- expect: budget exceeded
return {name="pcall_error", haircut=function() while true do pcall(error, "x") end end}
