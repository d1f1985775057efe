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

  // Saves a shared data bucket (adl.data) of the registration.
  function saveShared(id, store) {
    return fetch("state/" + encodeURIComponent("adl.data:" + id), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ store: store }),
      keepalive: true,
    });
  }

  // A random (version 4) UUID; crypto.randomUUID needs a secure context, this does not.
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // Reports a SCO session's event (initialize, commit, terminate) with the data model. Lara
  // keeps the model to resume from and records the session as xAPI statements. Events carry
  // the session's id and their number, so Lara applies them in order whatever the network does.
  // Reports not yet answered: a SCO that reads global objectives waits for them, so it sees
  // what the SCO before it wrote.
  var inflight = [];

  function reporter(item) {
    var session = uuid();
    var seq = 0;
    return function (event, state, sessionTime) {
      seq += 1;
      var body = { session: session, seq: seq, event: event, state: state };
      if (sessionTime) { body.sessionTime = sessionTime; }
      var sent = fetch("events/" + encodeURIComponent(item.id), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        keepalive: true,
      }).catch(function () { return null; });
      inflight.push(sent);
      sent.then(function () { inflight.splice(inflight.indexOf(sent), 1); });
      return sent;
    };
  }

  // A SCORM 2004 SCO whose objectives read global objectives gets their current values.
  function prepare(item) {
    if (!item.readsGlobals) { return Promise.resolve(); }
    return Promise.all(inflight.slice())
      .then(function () { return fetch("objectives/" + encodeURIComponent(item.id)); })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (list) { if (list) { item.objectives = list; } })
      .catch(function () { /* the objectives from the page stand */ });
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

  var current = -1;
  var message = document.getElementById("message");

  // Ends the running SCO's session the way a learner's button would, then does `next`.
  // A SCO that already terminated is left alone; one that did not is finished for it, with
  // the exit the button means.
  function leave(exit, next) {
    var api = cfg.scormVersion === "1.2" ? window.API : window.API_1484_11;
    if (api && api._laraRunning && api._laraRunning()) {
      if (cfg.scormVersion === "1.2") {
        api.LMSSetValue("cmi.core.exit", exit === "suspend" ? "suspend" : "");
        api.LMSFinish("");
      } else {
        api.SetValue("cmi.exit", exit);
        api.Terminate("");
      }
    }
    next();
  }

  function finishedCourse(text) {
    frame.src = "about:blank";
    current = -1;
    message.textContent = text;
    buttons.forEach(function (b) { b.setAttribute("aria-current", "false"); });
    updateControls();
  }

  function updateControls() {
    document.getElementById("previous").disabled = current <= 0;
    document.getElementById("continue").disabled = current < 0 || current >= cfg.items.length - 1;
    document.getElementById("suspend").disabled = current < 0;
    document.getElementById("exit").disabled = current < 0;
    // Controls the SCO asks the player to hide (adlnav:hideLMSUI).
    var hide = current >= 0 ? (cfg.items[current].hide || []) : [];
    ["previous", "continue", "suspend", "exit"].forEach(function (id) {
      document.getElementById(id).hidden = hide.indexOf(id) >= 0;
    });
  }

  document.getElementById("previous").addEventListener("click", function () {
    leave("normal", function () { open(current - 1); });
  });
  document.getElementById("continue").addEventListener("click", function () {
    leave("normal", function () { open(current + 1); });
  });
  document.getElementById("suspend").addEventListener("click", function () {
    leave("suspend", function () { finishedCourse("Suspended: launch again to continue where you left off."); });
  });
  document.getElementById("exit").addEventListener("click", function () {
    leave("normal", function () { finishedCourse("You have left the course."); });
  });

  // A SCORM 2004 SCO may end its session with a navigation request (adl.nav.request).
  function navigate(request) {
    var choice = /^\{target=([^}]+)\}(choice|jump)$/.exec(request || "");
    if (request === "continue" && current < cfg.items.length - 1) { open(current + 1); }
    else if (request === "previous" && current > 0) { open(current - 1); }
    else if (choice) {
      var to = cfg.items.map(function (i) { return i.id; }).indexOf(choice[1]);
      if (to >= 0) { open(to); }
    }
    else if (request === "exit" || request === "exitAll" || request === "abandon" || request === "abandonAll") {
      finishedCourse("You have left the course.");
    }
    else if (request === "suspendAll") { finishedCourse("Suspended: launch again to continue where you left off."); }
  }

  function navValid(kind, target) {
    if (kind === "continue") { return current < cfg.items.length - 1; }
    if (kind === "previous") { return current > 0; }
    if (kind === "choice" || kind === "jump") {
      return cfg.items.some(function (i) { return i.id === target; });
    }
    return "unknown";
  }

  function open(index) {
    if (index < 0 || index >= cfg.items.length) { return; }
    message.textContent = "";
    current = index;
    updateControls();
    var item = cfg.items[index];
    frame.src = "about:blank";
    prepare(item).then(function () { if (current === index) { load(index, item); } });
  }

  function load(index, item) {
    var start = startingPoint(item);
    var report = reporter(item);
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
      scaledPassingScore: item.scaledPassingScore,
      objectives: item.objectives,
      sharedData: (item.dataMaps || []).map(function (d) {
        return { id: d.id, store: cfg.sharedData[d.id] || "", read: d.read, write: d.write };
      }),
      navValid: navValid,
      terminate: function (state) {
        var request = state.values && state.values["adl.nav.request"];
        if (request && request !== "_none_" && cfg.items[current] === item) {
          // After the SCO's own Terminate returns, not inside it.
          setTimeout(function () { navigate(request); }, 0);
        }
      },
      initialize: function (state) { report("initialize", state); },
      commit: function (state, kind, sessionTime) {
        item.state = state;
        report(kind === "terminate" ? "terminate" : "commit", state, sessionTime);
        // Shared data buckets this SCO may write go to every SCO of the registration.
        ((state.arrays && state.arrays["adl.data"]) || []).forEach(function (d) {
          if (d._write && cfg.sharedData[d.id] !== d.store) {
            cfg.sharedData[d.id] = d.store;
            saveShared(d.id, d.store);
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
