/* The embed page's script (a file, not inline, for a strict Content-Security-Policy).
 *
 * Fetches the TimelineJS document itself, so that an error or an empty result is a readable
 * message in the page rather than TimelineJS's spreadsheet error, and opens the timeline on
 * the page's key event (data-start-at) instead of the title slide.
 */
(function () {
  "use strict";
  var container = document.getElementById("timeline");
  var message = document.getElementById("message");

  function show(text, link) {
    message.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    message.appendChild(p);
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = "Show the whole timeline";
      var p2 = document.createElement("p");
      p2.appendChild(a);
      message.appendChild(p2);
    }
    message.hidden = false;
    container.hidden = true;
  }

  function dateValue(d) {
    return [d.year, d.month || 1, d.day || 1];
  }

  function before(a, b) {
    var x = dateValue(a.start_date), y = dateValue(b.start_date);
    for (var i = 0; i < 3; i++) {
      if (x[i] !== y[i]) return x[i] - y[i];
    }
    return 0;
  }

  /* TimelineJS sorts slides by start date (a stable sort) after the title slide (0). */
  function slideOf(events, id) {
    var sorted = events.slice().sort(before);
    for (var i = 0; i < sorted.length; i++) {
      if (sorted[i].unique_id === id) return i + 1;
    }
    return 1; /* not in this selection: the first event */
  }

  function days(d) {
    return Date.UTC(d.year, (d.month || 1) - 1, d.day || 1) / 864e5;
  }

  /* The deepest zoom of TimelineJS's own sequence: how many frame widths the whole timeline
   * spans. Deeper zooms make TimelineJS draw hour ticks across decades and hang. */
  var SCALE = 89;
  var MARKER_WIDTH = 110; /* px: TimelineJS's marker_width_min (100) and its padding */
  var AXIS = 60; /* px: the time axis under the rows, and the padding */

  /* How many rows the timeline needs so that no two markers overlap: per group, the most
   * markers covering one moment (a marker is at least MARKER_WIDTH wide). TimelineJS fills
   * rows first-fit in date order, which needs no more rows than that. */
  function rowsNeeded(events, scale, width) {
    var first = Infinity, last = -Infinity;
    events.forEach(function (e) {
      first = Math.min(first, days(e.start_date));
      last = Math.max(last, days(e.end_date || e.start_date));
    });
    var minDays = MARKER_WIDTH / (scale * width / (last - first + 1));
    var groups = {};
    events.forEach(function (e) {
      var start = days(e.start_date);
      var end = Math.max(start + minDays, e.end_date ? days(e.end_date) + 1 : 0);
      (groups[e.group] = groups[e.group] || []).push([start, 1], [end, -1]);
    });
    var rows = 0;
    Object.keys(groups).forEach(function (name) {
      var edges = groups[name].sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      var open = 0, most = 0;
      edges.forEach(function (edge) { open += edge[1]; most = Math.max(most, open); });
      rows += most;
    });
    return rows;
  }

  /* A marker shows the start of its title, about 14 characters at TimelineJS's marker
   * width, so titles that begin alike would read the same: "Soyuz MS-19 …" for both the
   * launch and the docking. Such a marker shows its title from the first word that differs
   * instead, after the last shared word when that is short ("…MS-19 lifts off with the
   * film crew", "…MS-19 docks with the ISS", "…on Mars"); its whole title stays its
   * tooltip, its aria-label (TimelineJS's) and the slide's headline. */
  var SAME_START = 10; /* characters in common that make two markers read alike */

  function commonWords(a, b) {
    var n = 0;
    while (n < a.length - 1 && a[n] === b[n]) n++;
    return n;
  }

  function distinctMarkerTitles(root) {
    var texts = [].slice.call(root.querySelectorAll(".tl-timemarker .tl-headline"));
    var titles = texts.map(function (el) { return el.textContent; });
    var words = titles.map(function (title) { return title.split(" "); });
    texts.forEach(function (el, i) {
      var cut = 0;
      titles.forEach(function (other, j) {
        var n = commonWords(words[i], words[j]);
        if (j !== i && n > cut && words[i].slice(0, n).join(" ").length >= SAME_START) cut = n;
      });
      if (cut) {
        el.title = titles[i];
        el.textContent = "\u2026" + words[i].slice(words[i][cut - 1].length > 5 ? cut : cut - 1)
          .join(" ");
      }
    });
  }

  var allUrl = container.getAttribute("data-all-url");
  var filtered = window.location.search.replace(/^\?/, "") !== "";
  fetch(container.getAttribute("data-url"), { headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { response: response, body: body };
      });
    })
    .then(function (result) {
      var body = result.body;
      if (!result.response.ok || !body || !Array.isArray(body.events)) {
        var detail = body && (body.detail || body.title);
        show(detail || "The timeline could not be loaded (HTTP " + result.response.status + ").",
             filtered ? allUrl : null);
        return;
      }
      if (body.events.length === 0) {
        show(filtered ? "No events match these filters." : "This timeline has no events yet.",
             filtered ? allUrl : null);
        return;
      }
      var options = JSON.parse(container.getAttribute("data-options"));
      options.start_at_slide = slideOf(body.events, container.getAttribute("data-start-at"));
      /* Open zoomed in on the key event, with a row for every marker that would otherwise
       * overlap another (up to two thirds of the frame; the slide keeps the rest). */
      options.scale_factor = SCALE;
      var rows = rowsNeeded(body.events, SCALE, container.clientWidth);
      var height = rows * options.marker_height_min + AXIS;
      var percent = Math.min(66, Math.ceil(100 * height / Math.max(container.clientHeight, 1)));
      options.timenav_height_percentage = percent;
      options.timenav_mobile_height_percentage = percent;
      var timeline = new TL.Timeline(container, body, options);
      if (timeline.ready) distinctMarkerTitles(container);
      else timeline.on("ready", function () { distinctMarkerTitles(container); });
      window.timeline = timeline;
    })
    .catch(function (error) {
      show("The timeline could not be loaded: " + error.message);
    });
})();
