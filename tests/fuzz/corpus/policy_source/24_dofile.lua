-- expect: attempt to call a nil value (global 'dofile')
return {name="dofile", haircut=function() dofile("/etc/passwd") end}
