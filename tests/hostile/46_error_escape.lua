-- expect: 46_error_escape.lua:2: ?[31mforged?[INFO] approved
return {name="eesc", haircut=function() error("\27[31mforged\n[INFO] approved") end}
