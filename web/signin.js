// Sign-in page: a same-origin session cookie (HttpOnly, so this script never sees it).
const form = document.getElementById("signin");
const section = document.getElementById("signed-in");
const message = document.getElementById("message");

function show(principal) {
  form.hidden = Boolean(principal);
  section.hidden = !principal;
  if (principal) {
    const scopes = principal.scopes.length ? principal.scopes.join(", ") : "全部 all";
    document.getElementById("who").textContent =
      `${principal.username} (${principal.role}) · 范围 scopes: ${scopes}`;
  }
}

async function refresh() {
  const res = await fetch("/api/v1/auth/me");
  show(res.ok ? await res.json() : null);
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const res = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: data.get("username"), password: data.get("password") }),
  });
  const body = await res.json();
  form.reset();
  message.textContent = res.ok ? "" : `${body.error.code}: ${body.error.message}`;
  show(res.ok ? body.account : null);
});

document.getElementById("signout").addEventListener("click", async () => {
  await fetch("/api/v1/auth/logout", { method: "POST" });
  message.textContent = "";
  show(null);
});

refresh();
