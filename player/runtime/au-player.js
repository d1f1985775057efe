// Lara's player page for content that speaks xAPI itself: cmi5 courses (a table of their
// AUs) and xAPI packages. Launching a unit asks Lara for a new session and its launch URL;
// the unit then runs in the frame, or in a window of its own when the course says so
// (cmi5 launchMethod="OwnWindow"). Relaunching an AU starts a new session.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("lara-config").textContent);
  var frame = document.getElementById("sco");
  var message = document.getElementById("message");
  var toc = document.getElementById("toc");
  document.getElementById("course").textContent = cfg.title;
  document.getElementById("controls").hidden = true;

  var buttons = cfg.units.map(function (unit) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = unit.title;
    b.addEventListener("click", function () { start(unit.index); });
    toc.appendChild(b);
    return b;
  });

  function start(index) {
    message.textContent = "";
    fetch("units/" + index, { method: "POST" })
      .then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error(t); }); }
        return r.json();
      })
      .then(function (launch) {
        buttons.forEach(function (b, i) { b.setAttribute("aria-current", i === index ? "true" : "false"); });
        if (launch.ownWindow) {
          frame.src = "about:blank";
          var w = window.open(launch.url, "_blank");
          message.textContent = w ? "The unit opened in a new window." : "Allow pop-up windows for this site to open the unit.";
        } else {
          frame.src = launch.url;
        }
      })
      .catch(function (e) { message.textContent = "The unit could not be launched: " + e.message; });
  }

  // The first unit starts at once, unless it needs a window of its own (which only a click
  // may open).
  if (cfg.units.length > 0 && !cfg.units[0].ownWindow) { start(0); }
}());
