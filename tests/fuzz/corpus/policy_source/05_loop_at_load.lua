-- expect: exceeded its instruction budget
while true do end
