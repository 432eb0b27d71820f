-- expect: attempt to index a nil value (global 'io')
return {name="io", haircut=function() io.open("/etc/passwd") end}
