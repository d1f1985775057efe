// Lara's player page: the table of contents, the SCO frame and the SCORM API the SCO finds in
// this (its parent) window. The API object is created before the frame loads the SCO; every
// commit is saved to Lara through this launch's own URL, with keepalive so that closing the tab
// still saves.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("lara-config").textContent);
  var frame = document.getElementById("sco");
  var toc = document.getElementById("toc");
  document.getElementById("course").textContent = cfg.title;

  function save(item, state) {
    return fetch("state/" + encodeURIComponent(item.id), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(state),
      keepalive: true,
    });
  }

  function suspended(state) {
    var v = state && state.values;
    return !!v && (v["cmi.core.exit"] === "suspend" || v["cmi.exit"] === "suspend");
  }

  var buttons = cfg.items.map(function (item, index) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = item.title || item.id;
    b.addEventListener("click", function () { open(index); });
    toc.appendChild(b);
    return b;
  });

  // What a launch of an item starts from. After a suspend, the saved state (entry resume).
  // After an ended session: SCORM 2004 begins a new attempt with a fresh data model; SCORM 1.2
  // has no attempts, so its data stays and entry is "".
  function startingPoint(item) {
    if (!item.state) { return { entry: "ab-initio", state: undefined }; }
    if (suspended(item.state)) { return { entry: "resume", state: item.state }; }
    if (cfg.scormVersion === "1.2") { return { entry: "", state: item.state }; }
    return { entry: "ab-initio", state: undefined };
  }

  function open(index) {
    var item = cfg.items[index];
    var start = startingPoint(item);
    var options = {
      learnerId: cfg.learner.id,
      learnerName: cfg.learner.name,
      credit: "credit",
      mode: "normal",
      entry: start.entry,
      state: start.state,
      launchData: item.launchData,
      masteryScore: item.masteryScore,
      maxTimeAllowed: item.maxTimeAllowed,
      timeLimitAction: item.timeLimitAction,
      completionThreshold: item.completionThreshold,
      sharedData: (item.dataMaps || []).map(function (d) {
        return { id: d.id, store: cfg.sharedData[d.id] || "", read: d.read, write: d.write };
      }),
      commit: function (state) {
        item.state = state;
        save(item, state);
        // Shared data buckets this SCO may write go to every SCO of the registration.
        ((state.arrays && state.arrays["adl.data"]) || []).forEach(function (d) {
          if (d._write && cfg.sharedData[d.id] !== d.store) {
            cfg.sharedData[d.id] = d.store;
            save({ id: "adl.data:" + d.id }, { store: d.store });
          }
        });
      },
    };
    if (cfg.scormVersion === "1.2") {
      window.API = window.LaraScorm12.create(options);
    } else {
      window.API_1484_11 = window.LaraScorm2004.create(options);
    }
    buttons.forEach(function (b, i) { b.setAttribute("aria-current", i === index ? "true" : "false"); });
    frame.src = item.url;
  }

  if (cfg.items.length > 0) { open(0); }
}());
