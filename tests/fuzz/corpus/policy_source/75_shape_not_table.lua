-- expect: the policy must return a table
return "policy"
