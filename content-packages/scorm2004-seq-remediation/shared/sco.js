// The test SCO of Lara's SCORM 2004 sequencing samples. Each page names its item in
// <h1 id="sco-id">. The script looks for the LMS's API_1484_11 in the windows above it, as
// content from any vendor does, opens the session once the page is parsed and ends it when
// told to: by window.finish(result) (tests call it) or by a button with a data-finish
// attribute. The result says what to report before Terminate:
//   completion  "completed" (the default) or "incomplete"
//   success     "passed" or "failed"; left unknown when absent
//   scaled      a score from -1 to 1
//   objectives  { objectiveID: "passed" | "failed" } for objectives other than the primary
//   nav         an adl.nav.request value: "continue", "previous", "{target=ID}choice", ...
(function () {
  "use strict";

  function findApi(win) {
    for (var hops = 0; win && hops < 10; hops += 1) {
      if (win.API_1484_11) { return win.API_1484_11; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }

  var api = findApi(window) || (window.opener ? findApi(window.opener) : null);
  var openedAt = Date.now();
  var sco = {
    // Tells one page load from the next when the same item is delivered twice.
    token: String(performance.timeOrigin) + "/" + Math.random(),
    id: "",
    ready: false,
    // SetValue calls the LMS refused, with its error code.
    errors: [],
  };

  sco.get = function (name) {
    return api ? api.GetValue(name) : "";
  };

  sco.set = function (name, value) {
    if (!api) { return false; }
    var ok = api.SetValue(name, String(value)) === "true";
    if (!ok) { sco.errors.push(name + " (" + api.GetLastError() + ")"); }
    return ok;
  };

  // The index of an objective in cmi.objectives, added when the LMS did not list it.
  function objectiveIndex(id) {
    var count = Number(sco.get("cmi.objectives._count")) || 0;
    for (var n = 0; n < count; n += 1) {
      if (sco.get("cmi.objectives." + n + ".id") === id) { return n; }
    }
    sco.set("cmi.objectives." + count + ".id", id);
    return count;
  }

  function sessionTime() {
    return "PT" + ((Date.now() - openedAt) / 1000).toFixed(2) + "S";
  }

  sco.finish = function (result) {
    var r = result || {};
    if (!sco.ready) { return false; }
    sco.set("cmi.completion_status", r.completion || "completed");
    if (r.success) { sco.set("cmi.success_status", r.success); }
    if (typeof r.scaled === "number") { sco.set("cmi.score.scaled", r.scaled); }
    Object.keys(r.objectives || {}).forEach(function (id) {
      sco.set("cmi.objectives." + objectiveIndex(id) + ".success_status", r.objectives[id]);
    });
    sco.set("cmi.session_time", sessionTime());
    if (r.nav) { sco.set("adl.nav.request", r.nav); }
    sco.ready = false;
    api.Commit("");
    return api.Terminate("") === "true";
  };

  function start() {
    var heading = document.getElementById("sco-id");
    sco.id = heading ? heading.textContent.trim() : "";
    sco.ready = !!api && api.Initialize("") === "true";
    var status = document.getElementById("status");
    if (status) { status.textContent = sco.ready ? "Connected to the LMS." : "No LMS found."; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-finish]"), function (button) {
      button.addEventListener("click", function () {
        sco.finish(JSON.parse(button.getAttribute("data-finish")));
      });
    });
  }

  window.laraTestSco = sco;
  window.finish = sco.finish;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // Leaving the page without finishing still ends the session; what was set is kept.
  window.addEventListener("pagehide", function () {
    if (sco.ready) {
      sco.ready = false;
      api.Terminate("");
    }
  });
}());
