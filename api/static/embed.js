// The embed page's start-up, a file rather than an inline script so the page's CSP needs
// no 'unsafe-inline': TimelineJS reads its data URL and options from #timeline's attributes.
(function () {
  var element = document.getElementById("timeline");
  window.timeline = new TL.Timeline(
    "timeline", element.dataset.url, JSON.parse(element.dataset.options));
})();
