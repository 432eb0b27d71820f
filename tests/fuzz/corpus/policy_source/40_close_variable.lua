-- expect: got a non-closable value
return {name="close", haircut=function() local x <close> = {} end}
