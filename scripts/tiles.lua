-- wrk script: cached `units` tiles over Siming district at z12–z16, picked at random, asked for
-- with gzip like a browser. The warm-up run of scripts/bench-tiles.sh fills the cache, so this one
-- measures cached tiles; responses other than 200 are counted and printed at the end.
local tiles = {}

local function tile_x(lon, z) return math.floor((lon + 180) / 360 * 2 ^ z) end
local function tile_y(lat, z)
  local r = math.rad(lat)
  return math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2 ^ z)
end

-- The demo district's bounds (TileJSON of the demo data).
for z = 12, 16 do
  for x = tile_x(118.0566, z), tile_x(118.2081, z) do
    for y = tile_y(24.5049, z), tile_y(24.4199, z) do
      tiles[#tiles + 1] = string.format("/tiles/units/%d/%d/%d.mvt", z, x, y)
    end
  end
end

local bad = 0
math.randomseed(20261126)

request = function()
  return wrk.format("GET", tiles[math.random(#tiles)], { ["Accept-Encoding"] = "gzip" })
end

response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("tiles in the set: %d; non-200 responses: %d\n", #tiles, bad))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%g: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
