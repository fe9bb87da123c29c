// The assignment form of index.html (a file of its own: the page's CSP allows no inline script).
const form = document.getElementById("assign");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = new URLSearchParams(new FormData(form));
  const res = await fetch(`/api/v1/assign?${q}`);
  const body = await res.json();
  document.getElementById("answer").textContent = body.error
    ? `${body.error.code}: ${body.error.message}`
    : body.chain.map((u) => `${u.code} ${u.name}`).join("\n") + `\n(${body.match})`;
});
