-- wrk script: the public facility finder at random places over Siming district, k = 5 of one
-- category cycling through the ten elements.
math.randomseed(20261204)
local categories = {"medical", "elderly_care", "education", "childcare", "recreation",
  "dining", "shopping", "culture_sports", "service", "transport"}
local n = 0
request = function()
  n = n + 1
  local lon = 118.06 + math.random() * 0.14
  local lat = 24.42 + math.random() * 0.07
  local c = categories[(n % #categories) + 1]
  return wrk.format("GET", string.format(
    "/api/v1/facilities/nearby?lon=%.6f&lat=%.6f&category=%s&limit=5", lon, lat, c))
end
