-- wrk script: GET /v1/lookup at pseudo-random points spread over Trafford
-- (the bounding box of the GM test region's postcodes). See benches/http_load.sh.
math.randomseed(42)
request = function()
  local lat = 53.36 + math.random() * 0.12
  local lon = -2.47 + math.random() * 0.21
  return wrk.format("GET", string.format("/v1/lookup?lat=%.6f&lon=%.6f", lat, lon))
end
