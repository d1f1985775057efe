// Shared by the test course's SCOs: finds API_1484_11 and wraps the calls each SCO makes.
(function () {
  "use strict";
  function find(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      if (win.API_1484_11) { return win.API_1484_11; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = find(window) || (window.opener ? find(window.opener) : null);
  var started = Date.now();
  var sco = {
    api: api,
    start: function () { return api ? api.Initialize("") === "true" : false; },
    get: function (name) { return api ? api.GetValue(name) : ""; },
    set: function (name, value) { return api ? api.SetValue(name, String(value)) === "true" : false; },
    // ISO 8601 duration of this session, in seconds with two decimals.
    sessionTime: function () { return "PT" + ((Date.now() - started) / 1000).toFixed(2) + "S"; },
    // Ends the session. Like much vendor content, it also runs when the page is unloaded, so
    // the LMS must let a SCO it navigates away from finish on its own. What the LMS refused
    // is left in localStorage for the next page (and the tests) to see.
    finish: function (navigation) {
      if (!api) { return; }
      var refused = [];
      function check(call, ok) { if (!ok) { refused.push(call + ": " + api.GetLastError()); } }
      check("session_time", sco.set("cmi.session_time", sco.sessionTime()));
      if (navigation) { check("adl.nav.request", sco.set("adl.nav.request", navigation)); }
      check("Commit", api.Commit("") === "true");
      check("Terminate", api.Terminate("") === "true");
      api = null;
      try {
        localStorage.setItem("laraTestSco.finished", JSON.stringify({ sco: document.title, refused: refused }));
      } catch (e) { /* storage unavailable: nothing to report */ }
    },
  };
  window.LaraTestSco = sco;
  window.addEventListener("pagehide", function () { sco.finish(); });
}());
