-- decides: haircut p 576
-- math.maxinteger and 2^63 are equal as doubles; pairs must still visit them
-- in one order (the integer first), not in the table's own order, which
-- moves with the randomly seeded string keys around them.  20 tables, each a
-- bit of the charge: the wrong order shows as a different amount.
return {name = "pairs_int_float", haircut = function()
  local bits = 0
  for n = 1, 20 do
    local t = {}
    for i = 1, n do t["k" .. i] = i end
    t[math.maxinteger] = "int"
    t[2^63] = "float"
    local first
    for _, v in pairs(t) do
      if v == "int" or v == "float" then first = v break end
    end
    bits = bits * 2 + (first == "int" and 1 or 0)
  end
  return {{account = "p", amount = 1 + bits % 1000}}
end}
