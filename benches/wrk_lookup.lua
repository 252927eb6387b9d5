-- wrk script: GET /v1/lookup at pseudo-random points (fixed seed) spread
-- over a box: Trafford (the GM test region's postcodes) unless FEEDMAP_BBOX
-- gives "xmin ymin xmax ymax" in degrees. See benches/http_load.sh and
-- benches/postgis_compare.sh.
math.randomseed(42)
local xmin, ymin, xmax, ymax = -2.47, 53.36, -2.26, 53.48
local box = os.getenv("FEEDMAP_BBOX")
if box then
  local v = {}
  for n in box:gmatch("%S+") do v[#v + 1] = tonumber(n) end
  xmin, ymin, xmax, ymax = v[1], v[2], v[3], v[4]
end
request = function()
  local lat = ymin + math.random() * (ymax - ymin)
  local lon = xmin + math.random() * (xmax - xmin)
  return wrk.format("GET", string.format("/v1/lookup?lat=%.6f&lon=%.6f", lat, lon))
end
