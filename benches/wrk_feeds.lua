-- wrk script: GET /v1/feeds/lookup?postcode= for every Trafford postcode in
-- turn (file named by FEEDMAP_POSTCODES). See benches/http_load.sh.
local postcodes = {}
for line in io.lines(os.getenv("FEEDMAP_POSTCODES")) do
  local pc = line:match("^([^,]+),")
  if pc and pc ~= "postcode" then
    postcodes[#postcodes + 1] = pc:gsub(" ", "%%20")
  end
end
local i = 0
request = function()
  i = i % #postcodes + 1
  return wrk.format("GET", "/v1/feeds/lookup?postcode=" .. postcodes[i])
end
