-- expect: attempt to call a nil value (global 'loadfile')
return {name="loadfile", haircut=function() loadfile() end}
