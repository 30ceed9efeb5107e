// Autosave for the proposal form: sends changed fields with the version the editor started from.
// The server merges edits to different fields and refuses (409) when a partner changed the same field.
(function () {
  const form = document.getElementById("proposal-form");
  if (!form) return;
  const status = document.getElementById("autosave-status");
  const base = document.getElementById("base_version");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const url = "/api/v1/fund/proposals/" + form.dataset.proposal + "/autosave";
  const simple = ["title", "summary", "problem", "who_affected", "outcomes", "approach", "replication_plan",
    "ig_lawful_basis", "ig_data_sharing", "ig_ethics", "ig_security", "ig_datastore"];
  let dirty = new Set();
  let timer = null;
  form.addEventListener("input", function (e) {
    if (simple.includes(e.target.name)) { dirty.add(e.target.name); schedule(); }
  });
  function schedule() { clearTimeout(timer); timer = setTimeout(save, 1500); }
  async function save() {
    if (!dirty.size) return;
    const changes = {};
    dirty.forEach(function (name) { changes[name] = form.elements[name].value; });
    const sent = new Set(dirty); dirty = new Set();
    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify({base_version: parseInt(base.value, 10), changes: changes})});
    const body = await r.json();
    if (r.ok) {
      base.value = body.version;
      status.textContent = "Draft saved automatically (version " + body.version + ").";
    } else {
      sent.forEach(function (n) { dirty.add(n); });
      status.textContent = body.detail || "Your draft could not be saved automatically. Use the Save button.";
    }
  }
})();
