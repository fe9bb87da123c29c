// A MapLibre map on a neutral background with our own unit outlines: no external basemap needed.
// web/config.json may name an external style drawn beneath (basemap.style_url); when it is
// marked GCJ-02 our tiles are asked for in GCJ-02 so that they line up with it.
import * as maplibregl from "/vendor/maplibre-gl/maplibre-gl.mjs";

export { maplibregl };
// (maplibre-gl 6 has named exports only.)

async function loadConfig() {
  try {
    const res = await fetch("/config.json");
    return res.ok ? await res.json() : {};
  } catch { return {}; }
}

export async function createMap(container, { center = [118.0894, 24.4798], zoom = 13 } = {}) {
  const config = await loadConfig();
  const basemap = config.basemap ?? {};
  const crsQuery = basemap.crs === "gcj02" ? "?crs=gcj02" : "";
  const style = {
    version: 8,
    sources: {
      units: { type: "vector", tiles: [`${location.origin}/tiles/units/{z}/{x}/{y}.mvt${crsQuery}`], minzoom: 0, maxzoom: 18 },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef0ec" } },
    ],
  };
  if (basemap.raster_tiles) {
    style.sources.basemap = { type: "raster", tiles: [basemap.raster_tiles], tileSize: 256, attribution: basemap.attribution ?? "" };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  const map = new maplibregl.Map({ container, style, center, zoom, preserveDrawingBuffer: true, attributionControl: false });
  map.on("load", async () => {
    const tilejson = await fetch("/tiles/units.json").then((r) => r.json()).catch(() => null);
    const layers = tilejson?.vector_layers?.map((l) => l.id).filter((id) => id !== "unit_labels") ?? [];
    for (const layer of layers) {
      map.addLayer({ id: `units-${layer}`, type: "line", source: "units", "source-layer": layer, paint: { "line-color": "#6b7a8f", "line-width": 1 } });
    }
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  return map;
}
