// Chinese by default, English on request; the choice is remembered in localStorage.
// Elements carry data-i18n="key" (text) or data-i18n-label="key" (aria-label).
const STORAGE_KEY = "wangge.lang";
const dictionaries = { zh: {}, en: {} };

export function define(zh, en) {
  Object.assign(dictionaries.zh, zh);
  Object.assign(dictionaries.en, en);
}

export function language() {
  return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "zh";
}

export function t(key, vars = {}) {
  const text = dictionaries[language()][key] ?? dictionaries.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

export function apply(root = document) {
  document.documentElement.lang = language() === "en" ? "en" : "zh-CN";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

const listeners = [];
export function onChange(listener) { listeners.push(listener); }

export function setLanguage(lang) {
  localStorage.setItem(STORAGE_KEY, lang === "en" ? "en" : "zh");
  apply();
  for (const listener of listeners) listener();
}

// The button with id "lang-switch" toggles between the two languages.
export function wireSwitch() {
  const button = document.getElementById("lang-switch");
  button?.addEventListener("click", () => setLanguage(language() === "en" ? "zh" : "en"));
}

define({ "lang.switch": "English" }, { "lang.switch": "中文" });
