-- wrk script: single-point assignments at random places over Siming district.
math.randomseed(20261126)
request = function()
  local lon = 118.06 + math.random() * 0.14
  local lat = 24.42 + math.random() * 0.07
  return wrk.format("GET", string.format("/api/v1/assign?lon=%.6f&lat=%.6f", lon, lat))
end
