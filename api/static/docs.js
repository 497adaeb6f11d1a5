// The docs page's start-up (api/templates/swagger_ui.html), a file rather than an inline
// script so the page's CSP needs no 'unsafe-inline'.
window.addEventListener("load", function () {
  var element = document.getElementById("swagger-ui-container");
  var config = JSON.parse(element.dataset.config);
  config.url = element.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
