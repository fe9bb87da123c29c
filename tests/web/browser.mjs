// Shared set-up of the browser tests: Debian's Chromium through playwright-core, the service
// started by scripts/web-test.sh (WANGGE_WEB_URL), screenshots into target/web-artifacts/.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const baseUrl = process.env.WANGGE_WEB_URL ?? "http://127.0.0.1:8080";
export const artifacts = new URL("../../target/web-artifacts/", import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// Contrast ratio (WCAG) of an element's text against the nearest opaque background.
export async function contrastOf(page, selector) {
  return page.$eval(selector, (el) => {
    const rgb = (s) => s.match(/[\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
      const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    let bg = null;
    for (let n = el; n && !bg; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length < 4 || c[3] === 1) bg = c.length ? c : null;
    }
    const fg = lum(rgb(getComputedStyle(el).color));
    const back = lum(bg ?? [255, 255, 255]);
    return (Math.max(fg, back) + 0.05) / (Math.min(fg, back) + 0.05);
  });
}

// Every input, select and textarea has a label (wrapping label, for=, or aria-label).
export async function unlabelledInputs(page) {
  return page.$$eval("input, select, textarea", (els) => els
    .filter((el) => el.type !== "hidden")
    .filter((el) => !(el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute("aria-label")))
    .map((el) => el.name || el.id));
}
