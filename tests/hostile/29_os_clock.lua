-- expect: attempt to index a nil value (global 'os')
return {name="clock", haircut=function() return os.clock() end}
