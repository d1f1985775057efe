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

  // keepalive lets a request outlive the page (the learner closes the tab), but browsers
  // refuse keepalive bodies over 64 KiB: a large one (many interactions, long suspend data)
  // goes as a plain request, which completes as long as the page stays open.
  function mayKeepAlive(text) { return new TextEncoder().encode(text).length < 60000; }

  // Saves a shared data bucket (adl.data) of the registration.
  function saveShared(id, store) {
    var text = JSON.stringify({ store: store });
    return fetch("state/" + encodeURIComponent("adl.data:" + id), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: text,
      keepalive: mayKeepAlive(text),
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

  function reporter(item, entry) {
    var session = uuid();
    var seq = 0;
    return function (event, state, sessionTime) {
      seq += 1;
      var body = { session: session, seq: seq, event: event, state: state };
      // The entry the SCO was given: Lara records a resumed attempt as the same attempt.
      if (event === "initialize") { body.entry = entry; }
      if (sessionTime) { body.sessionTime = sessionTime; }
      var text = JSON.stringify(body);
      var sent = fetch("events/" + encodeURIComponent(item.id), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: text,
        keepalive: mayKeepAlive(text),
      }).then(function (r) {
        // SCORM 2004: the answer says what sequencing allows now.
        if (r && r.status === 200) {
          return r.json().then(function (v) { if (sequenced) { showView(v); } }, function () {});
        }
        return null;
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

  // SCORM 2004 courses are sequenced by Lara (the SN book's model): every move is a
  // navigation request answered by the server. SCORM 1.2 courses are a list of SCOs.
  var sequenced = cfg.scormVersion === "2004" && !!cfg.sequencing;
  var view = cfg.sequencing;
  var byId = {};
  cfg.items.forEach(function (item, index) { byId[item.id] = index; });

  var buttons = sequenced ? [] : cfg.items.map(function (item, index) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = item.title || item.id;
    b.addEventListener("click", function () { open(index); });
    toc.appendChild(b);
    return b;
  });

  // The table of contents of a sequenced course: activities shown as the model says, those a
  // choice would deliver enabled, with their status.
  function renderToc() {
    toc.textContent = "";
    var entries = view.toc || [];
    // The root activity is the course itself: its title, a button when a choice of the root
    // (which starts the course from its beginning) is allowed now.
    var heading = document.getElementById("course");
    heading.textContent = "";
    var root = entries.filter(function (e) { return e.depth === 0; })[0];
    if (root && root.shown && root.selectable) {
      var top = document.createElement("button");
      top.type = "button";
      top.textContent = cfg.title;
      top.dataset.id = root.identifier;
      top.addEventListener("click", function () { request({ request: "choice", target: root.identifier }); });
      heading.appendChild(top);
    } else {
      heading.textContent = cfg.title;
    }
    // A current activity hidden from the learner (isvisible="false", say a test drawn from
    // a pool) is shown where it is: at its nearest visible ancestor.
    var here = -1;
    entries.forEach(function (e, i) { if (e.current) { here = i; } });
    for (var i = here - 1; here >= 0 && !(entries[here].shown && entries[here].depth > 0) && i >= 0; i--) {
      if (entries[i].depth < entries[here].depth) { here = i; }
    }
    entries.forEach(function (e, i) {
      if (e.depth === 0 || !e.shown) { return; }
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = e.title || e.identifier;
      b.dataset.id = e.identifier;
      b.style.paddingLeft = (0.4 + (e.depth - 1) * 0.9) + "rem";
      b.disabled = !e.selectable;
      b.setAttribute("aria-current", i === here ? "true" : "false");
      var status = e.completed === true ? "completed" : e.completed === false ? "incomplete" : "";
      if (e.satisfied === true) { status += (status ? ", " : "") + "passed"; }
      if (e.satisfied === false) { status += (status ? ", " : "") + "failed"; }
      if (status) { b.title = status; b.dataset.status = status; }
      b.addEventListener("click", function () { request({ request: "choice", target: e.identifier }); });
      toc.appendChild(b);
    });
  }

  function showView(v) {
    view = v;
    renderToc();
    updateControls();
  }

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
  // The SCO is unloaded first, as an LMS does when the learner navigates with its controls:
  // content commonly saves its last data (session time, exit, location) and calls Terminate
  // from its unload handlers. A SCO that terminated there (or before) is left alone; one that
  // did not is finished for it, with the exit the button means.
  var leaving = false;
  function leave(exit, next) {
    var api = cfg.scormVersion === "1.2" ? window.API : window.API_1484_11;
    if (!(api && api._laraRunning && api._laraRunning())) { next(); return; }
    leaving = true;
    // SCORM 1.2 resumes only after cmi.core.exit = suspend: set it for the Suspend button
    // before the SCO's own unload handler runs (which may still set its own).
    if (exit === "suspend" && cfg.scormVersion === "1.2") { api.LMSSetValue("cmi.core.exit", "suspend"); }
    unloadSco(function () {
      if (api._laraRunning()) {
        if (cfg.scormVersion === "1.2") {
          api.LMSSetValue("cmi.core.exit", exit === "suspend" ? "suspend" : "");
          api.LMSFinish("");
        } else {
          if (exit) { api.SetValue("cmi.exit", exit); }
          api.Terminate("");
        }
      }
      leaving = false;
      next();
    });
  }

  // Replaces the SCO's document with an empty one and calls `done` once the SCO's unload
  // handlers have run (or after a few seconds, should the frame never report back).
  function unloadSco(done) {
    var finished = false;
    function finish() {
      if (finished) { return; }
      finished = true;
      frame.removeEventListener("load", finish);
      done();
    }
    frame.addEventListener("load", finish);
    setTimeout(finish, 5000);
    frame.src = "about:blank";
  }

  // Sends a navigation request once every report of the SCO is in, and carries out the
  // answer: deliver an activity, end the course, or wait for the learner's choice.
  function request(nav) {
    var exit = nav.request === "suspendAll" ? "suspend" : null;
    leave(exit, function () {
      message.textContent = "";
      Promise.all(inflight.slice())
        .then(function () {
          return fetch("navigate", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(nav),
          });
        })
        .then(function (r) { return r.ok ? r.json() : r.text().then(function (t) { throw new Error(t); }); })
        .then(function (answer) { carryOut(nav, answer); })
        .catch(function (e) { message.textContent = "Navigation failed: " + e.message; });
    });
  }

  function carryOut(nav, answer) {
    showView(answer.view);
    if (answer.deliver !== null && answer.deliver !== undefined && byId[answer.deliver] !== undefined) {
      openSequenced(byId[answer.deliver], answer.resume);
    } else if (answer.sessionEnded) {
      var course = (answer.view && answer.view.course) || {};
      var outcome = course.satisfied === true ? " Passed." : course.satisfied === false ? " Not passed." : "";
      var left = ["exit", "exitAll", "abandon", "abandonAll"].indexOf(nav.request) >= 0;
      finishedCourse(nav.request === "suspendAll"
        ? "Suspended: launch again to continue where you left off."
        : left
          ? "You have left the course." + outcome
          : "You have reached the end of the course." + outcome);
    } else {
      frame.src = "about:blank";
      current = -1;
      updateControls();
      message.textContent = answer.exception
        ? "Not available now: " + answer.exception.message + " (" + answer.exception.code + ")."
        : "Choose an activity from the list.";
    }
  }


  function finishedCourse(text) {
    frame.src = "about:blank";
    current = -1;
    message.textContent = text;
    buttons.forEach(function (b) { b.setAttribute("aria-current", "false"); });
    updateControls();
  }

  function updateControls() {
    if (sequenced) {
      var c = view.controls || {};
      document.getElementById("previous").disabled = !c.previous;
      document.getElementById("continue").disabled = !c["continue"];
      document.getElementById("suspend").disabled = !c.suspendAll;
      document.getElementById("exit").disabled = !c.exitAll;
    } else {
      document.getElementById("previous").disabled = current <= 0;
      document.getElementById("continue").disabled = current < 0 || current >= cfg.items.length - 1;
      document.getElementById("suspend").disabled = current < 0;
      document.getElementById("exit").disabled = current < 0;
    }
    // Controls the SCO asks the player to hide (adlnav:hideLMSUI).
    var hide = current >= 0 ? (cfg.items[current].hide || []) : [];
    ["previous", "continue", "suspend", "exit"].forEach(function (id) {
      document.getElementById(id).hidden = hide.indexOf(id) >= 0;
    });
  }

  document.getElementById("previous").addEventListener("click", function () {
    if (sequenced) { request({ request: "previous" }); return; }
    leave("normal", function () { open(current - 1); });
  });
  document.getElementById("continue").addEventListener("click", function () {
    if (sequenced) { request({ request: "continue" }); return; }
    leave("normal", function () { open(current + 1); });
  });
  document.getElementById("suspend").addEventListener("click", function () {
    if (sequenced) { request({ request: "suspendAll" }); return; }
    leave("suspend", function () { finishedCourse("Suspended: launch again to continue where you left off."); });
  });
  document.getElementById("exit").addEventListener("click", function () {
    if (sequenced) { request({ request: "exitAll" }); return; }
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
    if (sequenced) {
      var c = view.controls || {};
      if (kind === "continue") { return !!c["continue"]; }
      if (kind === "previous") { return !!c.previous; }
      if (kind === "choice") { return (view.choice || []).indexOf(target) >= 0; }
      if (kind === "jump") { return (view.jump || []).indexOf(target) >= 0; }
      return "unknown";
    }
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

  function openSequenced(index, resume) {
    message.textContent = "";
    current = index;
    updateControls();
    var item = cfg.items[index];
    frame.src = "about:blank";
    var start = resume && item.state
      ? { entry: "resume", state: item.state }
      : { entry: "ab-initio", state: undefined };
    prepare(item).then(function () { if (current === index) { load(index, item, start); } });
  }

  function load(index, item, given) {
    var start = given || startingPoint(item);
    var report = reporter(item, start.entry);
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
        var store = cfg.sharedData[d.id];
        return { id: d.id, store: store === null || store === undefined ? undefined : store, read: d.read, write: d.write };
      }),
      navValid: navValid,
      terminate: function (state) {
        var asked = state.values && state.values["adl.nav.request"];
        if (sequenced) {
          // The SCO ended its session itself: its navigation request, or a plain exit (which
          // post-condition rules may turn into a move), goes to sequencing. Not when the
          // player ended the session for a request of its own.
          if (!leaving && cfg.items[current] === item) {
            // cmi.exit "time-out" and "logout" (deprecated) end the whole course.
            var exit = state.values && state.values["cmi.exit"];
            // A course of one SCO is over when that SCO ends without asking for more:
            // suspended if it said so (to resume next time), else exited.
            var single = cfg.items.length === 1;
            // Otherwise the learner decides what comes next (Continue, Previous, a choice):
            // the activity's attempt ends with that request, as the SN book has it, so its
            // post-condition rules apply then.
            var nav = asked && asked !== "_none_" ? { request: asked }
              : exit === "time-out" || exit === "logout" ? { request: "exitAll" }
              : single && exit === "suspend" ? { request: "suspendAll" }
              : single ? { request: "exitAll" }
              : null;
            if (nav) {
              setTimeout(function () { request(nav); }, 0);
            } else {
              message.textContent = "Done here: continue or choose from the list.";
            }
          }
          return;
        }
        if (asked && asked !== "_none_" && cfg.items[current] === item) {
          // After the SCO's own Terminate returns, not inside it.
          setTimeout(function () { navigate(asked); }, 0);
        }
      },
      initialize: function (state) { report("initialize", state); },
      commit: function (state, kind, sessionTime) {
        item.state = state;
        report(kind === "terminate" ? "terminate" : "commit", state, sessionTime);
        // Shared data buckets this SCO may write go to every SCO of the registration.
        ((state.arrays && state.arrays["adl.data"]) || []).forEach(function (d) {
          if (d._write && d.store !== undefined && cfg.sharedData[d.id] !== d.store) {
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

  if (sequenced) {
    showView(view);
    // A launch URL may name the activity to open first (?activity=ID).
    var first = new URLSearchParams(window.location.search).get("activity");
    request(first ? { request: "launch", target: first } : { request: "launch" });
  } else if (cfg.items.length > 0) { open(0); }
}());
