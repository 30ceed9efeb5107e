// Starts the vendored Swagger UI on /api/docs (no inline script, so the page works under a strict CSP).
(function () {
  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: el.getAttribute("data-openapi-url"),
    domNode: el,
    deepLinking: false,  // the deep-link anchors sit inside buttons (nested controls, small targets)
    validatorUrl: null,  // the default validator is a third-party web service
    defaultModelsExpandDepth: 0,
    syntaxHighlight: false,
  });
})();
