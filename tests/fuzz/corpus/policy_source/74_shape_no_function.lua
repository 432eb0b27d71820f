-- expect: the policy needs a 'deleverage' or a 'haircut' function
return {name = "idle"}
