// The rule builder's live check (issue 17): as the officer types, the form is sent to the server's check
// (the server's rule language stays authoritative), and the YAML, the problems and any protected
// characteristic are shown. No inline script; without JavaScript the "Check the rule" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("rule-builder");
  if (!form) { return; }
  var url = form.getAttribute("data-check-url");
  var yamlBox = document.getElementById("rule-yaml");
  var status = document.getElementById("rule-check");
  var timer = null;
  var sequence = 0;

  function show(result) {
    yamlBox.textContent = result.yaml || "";
    while (status.firstChild) { status.removeChild(status.firstChild); }
    var problems = Object.keys(result.errors || {});
    if (problems.length) {
      var heading = document.createElement("p");
      heading.className = "govuk-body-s govuk-!-font-weight-bold";
      heading.textContent = "Still to sort out:";
      status.appendChild(heading);
      var list = document.createElement("ul");
      list.className = "govuk-list govuk-list--bullet govuk-body-s";
      problems.forEach(function (field) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.className = "govuk-link";
        link.href = "#" + field;
        link.textContent = result.errors[field];
        item.appendChild(link);
        list.appendChild(item);
      });
      status.appendChild(list);
    } else {
      var ok = document.createElement("p");
      ok.className = "govuk-body-s";
      ok.textContent = "The rule is valid.";
      status.appendChild(ok);
    }
    if (result.protected && result.protected.length) {
      var warn = document.createElement("p");
      warn.className = "govuk-body-s";
      warn.textContent = "This rule uses a protected characteristic: " + result.protected.join("; ") + ".";
      status.appendChild(warn);
    }
  }

  function check() {
    var mine = ++sequence;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result && mine === sequence) { show(result); } })
      .catch(function () { /* the server-side check on submit still applies */ });
  }

  function later() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(check, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.setAttribute("data-live-check", "on");
  check();
})();
