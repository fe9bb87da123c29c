import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { artifacts, baseUrl, contrastOf, launch, unlabelledInputs } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function finderPage() {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, geolocation: { longitude: 118.0894, latitude: 24.4798 }, permissions: ["geolocation"] });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${baseUrl}/finder.html`);
  await page.waitForSelector("#report-category option", { state: "attached", timeout: 10000 });
  return { page, errors };
}

test("the public finds the circle around their location, files a report and tracks it", async () => {
  const { page, errors } = await finderPage();
  await page.focus("#locate");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#elements li");
  assert.equal(await page.locator("#elements li").count(), 10);
  assert.match(await page.textContent("#summary"), /缺少/);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${artifacts}finder-zh.png`, fullPage: true });

  await page.fill("#report-description", "路灯不亮 browser test");
  await page.click("#report button[type=submit]");
  await page.waitForFunction(() => document.getElementById("report-message").dataset.reportId);
  const id = await page.getAttribute("#report-message", "data-report-id");
  assert.match(await page.textContent("#report-message"), /受理编号/);

  await page.fill("#track-id", id);
  await page.focus("#track button");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("track-message").textContent);
  assert.match(await page.textContent("#track-message"), /办理中/);
  assert.deepEqual(errors, []);
});

test("bad input in the report form shows the API's message", async () => {
  const { page } = await finderPage();
  await page.click("#locate");
  await page.waitForSelector("#elements li");
  await page.fill("#report-description", "长".repeat(4001));
  await page.click("#report button[type=submit]");
  await page.waitForFunction(() => document.getElementById("report-message").className === "error");
  assert.ok((await page.textContent("#report-message")).length > 3);
  await page.fill("#track-id", "R-no-such-report");
  await page.click("#track button");
  await page.waitForFunction(() => document.getElementById("track-message").className === "error");
});

test("the finder switches to English and remembers it", async () => {
  const { page } = await finderPage();
  await page.click("#lang-switch");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("#locate"), "Use my location");
  assert.equal(await page.evaluate(() => localStorage.getItem("wangge.lang")), "en");
  await page.screenshot({ path: `${artifacts}finder-en.png`, fullPage: true });
});

test("the finder's inputs are labelled and its text has enough contrast", async () => {
  const { page } = await finderPage();
  assert.deepEqual(await unlabelledInputs(page), []);
  for (const selector of ["main p", "header h1 a", "#locate", "label"]) {
    assert.ok(await contrastOf(page, selector) >= 4.5, selector);
  }
});
