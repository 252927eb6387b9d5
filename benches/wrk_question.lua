-- wrk script: POST /v1/question/answers for every Trafford postcode in turn
-- (file named by FEEDMAP_POSTCODES), each from its own client address (a
-- trusted proxy's X-Forwarded-For), so the per-client limit never refuses
-- one. See benches/question_load.sh.
local postcodes, names = {}, {}
for line in io.lines(os.getenv("FEEDMAP_POSTCODES")) do
  -- Rows whose names hold a quoted comma are left out (a plain split).
  if line:find('"', 1, true) then goto continue end
  local f = {}
  for v in (line .. ","):gmatch("([^,]*),") do f[#f + 1] = v end
  if f[1] ~= "postcode" and f[1] ~= "" then
    postcodes[#postcodes + 1] = f[1]
    names[#names + 1] = f[5]
  end
  ::continue::
end
local follows = { "yes", "no", "not_sure" }
local i, thread_no = 0, 0
local counter = 1
setup = function(thread)
  thread:set("thread_no", counter)
  counter = counter + 1
end
request = function()
  i = i + 1
  local k = (i * 7919 + thread_no * 104729) % #postcodes + 1
  local body = '{"postcode":"' .. postcodes[k] .. '","name":"' .. names[k] ..
    '","follow":"' .. follows[i % 3 + 1] .. '","platforms":["facebook"]}'
  local client = string.format("10.%d.%d.%d", thread_no, math.floor(i / 256) % 256, i % 256)
  return wrk.format("POST", "/v1/question/answers",
    { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = client }, body)
end
-- The answers counted are read back from the server (see
-- benches/question_load.sh): only 202s are counted there.
