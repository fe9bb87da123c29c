// fetch with the API's one error shape turned into an Error carrying its message and code.
export async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", ...options });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { raw: text }; }
  if (!res.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${res.status}`);
    error.code = body?.error?.code;
    error.status = res.status;
    error.details = body?.error?.details;
    throw error;
  }
  return body;
}

export function postJson(path, value) {
  return api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
}
