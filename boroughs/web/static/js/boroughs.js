// Every page: start GOV.UK Frontend's components, and the small behaviours the Content-Security-Policy
// keeps out of the templates (no inline script, no inline style attributes).
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// Widths and positions computed on the server (bar charts) arrive as data-style-* attributes.
document.querySelectorAll("[data-style-background],[data-style-width],[data-style-left]").forEach(function (n) {
  if (n.dataset.styleBackground) n.style.background = n.dataset.styleBackground;
  if (n.dataset.styleWidth) n.style.width = n.dataset.styleWidth;
  if (n.dataset.styleLeft) n.style.left = n.dataset.styleLeft;
});

// <button data-print-page> prints the page.
document.querySelectorAll("[data-print-page]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
