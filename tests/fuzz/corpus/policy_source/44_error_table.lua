-- expect: policy raised a non-string error (table)
return {name="etab", haircut=function() error({code = 1}) end}
