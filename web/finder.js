// The public finder: the fifteen-minute circle around a point, a report filed there, and a
// report tracked by its number. No sign-in, nothing personal shown.
import { apply, define, language, onChange, t, wireSwitch } from "/lib/i18n.js";
import { api, postJson } from "/lib/api.js";
import { createMap, maplibregl } from "/lib/map.js";

define({
  "finder.title": "一刻钟便民生活圈", "finder.intro": "点击地图或使用我的位置，查看步行可达的设施。",
  "finder.locate": "使用我的位置", "finder.list": "列表", "finder.map": "地图",
  "finder.complete": "十大要素都在步行可达范围内。", "finder.missing": "缺少：{names}",
  "finder.nearest": "{name}，步行约 {minutes} 分钟", "finder.none": "附近没有", "finder.open": "营业中",
  "finder.closed": "已休息", "finder.hours_unknown": "营业时间未知", "finder.estimate": "步行时间为直线估算。",
  "finder.no_geolocation": "无法获取位置，请点击地图选择。", "finder.tap": "请先点击地图或使用我的位置。",
  "report.title": "在这里报告问题", "report.category": "类别", "report.description": "描述", "report.submit": "提交",
  "report.place": "位置：{lon}, {lat}", "report.filed": "已受理，受理编号：{id}",
  "track.title": "查询办理进度", "track.number": "受理编号", "track.submit": "查询", "track.status": "编号 {id}：{status}",
  "status.open": "办理中", "status.closed": "已办结",
}, {
  "finder.title": "Fifteen-minute circle", "finder.intro": "Tap the map or use your location to see what is within walking distance.",
  "finder.locate": "Use my location", "finder.list": "List", "finder.map": "Map",
  "finder.complete": "All ten elements are within walking distance.", "finder.missing": "Missing: {names}",
  "finder.nearest": "{name}, about {minutes} min walk", "finder.none": "none nearby", "finder.open": "open now",
  "finder.closed": "closed now", "finder.hours_unknown": "hours unknown", "finder.estimate": "Walking times are straight-line estimates.",
  "finder.no_geolocation": "Could not get your location; tap the map instead.", "finder.tap": "Tap the map or use your location first.",
  "report.title": "Report a problem here", "report.category": "Category", "report.description": "Description", "report.submit": "Submit",
  "report.place": "Location: {lon}, {lat}", "report.filed": "Received. Tracking number: {id}",
  "track.title": "Track a report", "track.number": "Tracking number", "track.submit": "Track", "track.status": "Report {id}: {status}",
  "status.open": "open", "status.closed": "closed",
});

const $ = (id) => document.getElementById(id);
let picked = null;
let lastCircle = null;
let markers = [];
const map = await createMap($("map"));

function openText(openNow) {
  if (openNow === true) return t("finder.open");
  if (openNow === false) return t("finder.closed");
  return t("finder.hours_unknown");
}

function elementName(e) { return language() === "en" ? e.name_en : e.name_zh; }

function renderCircle() {
  const answer = lastCircle;
  if (!answer) return;
  $("summary").textContent = (answer.complete
    ? t("finder.complete")
    : t("finder.missing", { names: answer.elements.filter((e) => !e.within_target).map(elementName).join("、") }))
    + " " + t("finder.estimate");
  $("summary").className = answer.complete ? "ok" : "missing";
  const list = $("elements");
  list.replaceChildren();
  for (const m of markers) m.remove();
  markers = [];
  for (const e of answer.elements) {
    const li = document.createElement("li");
    li.className = e.within_target ? "" : "missing";
    const nearest = e.nearest;
    const facility = nearest?.facility ?? nearest;
    const head = `${e.element} ${elementName(e)}（≤ ${e.target_minutes} min）：`;
    li.textContent = nearest
      ? head + t("finder.nearest", { name: facility.name, minutes: Math.round(nearest.walking_minutes) }) + "，" + openText(nearest.open_now)
      : head + t("finder.none");
    list.append(li);
    const loc = facility?.location;
    if (loc) {
      const el = document.createElement("div");
      el.className = "marker";
      el.textContent = `${e.element} ${facility.name}`;
      markers.push(new maplibregl.Marker({ element: el }).setLngLat([loc.lon ?? loc[0], loc.lat ?? loc[1]]).addTo(map));
    }
  }
}

async function pick(lon, lat) {
  picked = { lon, lat };
  $("status").textContent = "";
  $("report-place").textContent = t("report.place", { lon: lon.toFixed(5), lat: lat.toFixed(5) });
  try {
    lastCircle = await api(`/api/v1/facilities/circle?lon=${lon}&lat=${lat}`);
    renderCircle();
  } catch (error) {
    $("status").textContent = error.message;
  }
}

map.on("click", (e) => pick(e.lngLat.lng, e.lngLat.lat));
$("locate").addEventListener("click", () => {
  if (!navigator.geolocation) { $("status").textContent = t("finder.no_geolocation"); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => { map.flyTo({ center: [p.coords.longitude, p.coords.latitude], zoom: 15 }); pick(p.coords.longitude, p.coords.latitude); },
    () => { $("status").textContent = t("finder.no_geolocation"); },
    { timeout: 10000 });
});
$("show-list").addEventListener("click", () => { $("map").hidden = true; $("results").hidden = false; });
$("show-map").addEventListener("click", () => { $("map").hidden = false; map.resize(); });

async function loadCategories() {
  const services = await api("/open311/v2/services.json").catch(() => []);
  const select = $("report-category");
  select.replaceChildren(...services.map((s) => new Option(s.service_name, s.service_code)));
}

$("report").addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = $("report-message");
  message.className = "";
  if (!picked) { message.className = "error"; message.textContent = t("finder.tap"); return; }
  try {
    const answer = await postJson("/api/v1/reports", {
      category: $("report-category").value,
      description: $("report-description").value,
      location: { lon: picked.lon, lat: picked.lat, crs: "wgs84" },
      channel: "app",
    });
    const id = answer.id ?? answer.report?.id;
    message.textContent = t("report.filed", { id });
    message.dataset.reportId = id;
    $("track-id").value = id;
  } catch (error) {
    message.className = "error";
    message.textContent = error.message;
  }
});

$("track").addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = $("track-message");
  message.className = "";
  try {
    const id = encodeURIComponent($("track-id").value.trim());
    const answer = await api(`/open311/v2/requests/${id}.json`);
    const request = Array.isArray(answer) ? answer[0] : answer;
    message.textContent = t("track.status", { id: request.service_request_id, status: t(`status.${request.status}`) });
  } catch (error) {
    message.className = "error";
    message.textContent = error.message;
  }
});

onChange(renderCircle);
apply();
wireSwitch();
loadCategories();
