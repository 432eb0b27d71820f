-- decides: haircut p 1
-- log: ff\xff\xfe overlong\xc0\xaf surrogate\xed\xa0\x80 past\xf4\x90\x80\x80 cut\xe2\x82 ok café
-- Bytes that are not UTF-8 (stray, overlong, a surrogate, past U+10FFFF, a
-- sequence cut short) each shown as \xNN; valid UTF-8 kept as it is (é).
return {name = "log_utf8", haircut = function(ctx)
  socloss.log("ff\255\254", "overlong\192\175", "surrogate\237\160\128", "past\244\144\128\128", "cut\226\130",
              "ok caf\195\169")
  return {{account = "p", amount = 1}}
end}
