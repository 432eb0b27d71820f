-- expect: the policy table needs a string 'name'
return {haircut = function() end}
