// Lara's SCORM 1.2 runtime: the `API` object a SCO finds in a parent window.
//
// Every call is answered synchronously from the data model held here; `commit(state)` hands a
// copy of the model to the player (which persists it) on LMSCommit and LMSFinish. The rules
// follow the SCORM 1.2 Run-Time Environment: element names, read-only and write-only elements,
// vocabularies, data types, array indices in order, and its error codes. Where the book's
// sizes are smallest permitted maximums, larger values are accepted, since real content
// needs them (suspend_data of 64,000 characters, long interaction responses).
//
// Usage: const api = LaraScorm12.create({ learnerId, learnerName, credit, mode, entry,
//          launchData, masteryScore, maxTimeAllowed, timeLimitAction, state, commit });
//        window.API = api;
(function (root) {
  "use strict";

  var ERRORS = {
    0: "No error",
    101: "General exception",
    201: "Invalid argument error",
    202: "Element cannot have children",
    203: "Element not an array - cannot have count",
    301: "Not initialized",
    401: "Not implemented error",
    402: "Invalid set value, element is a keyword",
    403: "Element is read only",
    404: "Element is write only",
    405: "Incorrect data type",
  };

  // Sizes: the book's minimums, raised where content is known to need more.
  var MAX_STRING255 = 4096;
  var MAX_STRING4096 = 64000;

  var STATUS = ["passed", "completed", "failed", "incomplete", "browsed", "not attempted"];
  var EXIT = ["time-out", "suspend", "logout", ""];
  var INTERACTION_TYPES = ["true-false", "choice", "fill-in", "matching", "performance",
    "sequencing", "likert", "numeric"];
  var RESULTS = ["correct", "wrong", "unanticipated", "neutral"];

  // Data types: each returns true when the value is acceptable.
  function isDecimal(v) { return /^-?(\d+(\.\d*)?|\.\d+)$/.test(v); }
  function isBlankOrDecimal(v) { return v === "" || isDecimal(v); }
  function isInteger(v) { return /^-?\d+$/.test(v); }
  function inRange(lo, hi) {
    return function (v) { return isInteger(v) && +v >= lo && +v <= hi; };
  }
  function isIdentifier(v) { return v.length > 0 && v.length <= MAX_STRING255 && /^[^\s]+$/.test(v); }
  function string(max) { return function (v) { return v.length <= max; }; }
  function vocabulary(words) { return function (v) { return words.indexOf(v) >= 0; }; }
  // CMITimespan HHHH:MM:SS.SS (hours 2 to 4 digits, optional 1-2 fraction digits).
  function isTimespan(v) { return /^\d{2,4}:[0-5]\d:[0-5]\d(\.\d{1,2})?$/.test(v); }
  // CMITime HH:MM:SS.SS within one day.
  function isTime(v) { return /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/.test(v); }
  function isResult(v) { return RESULTS.indexOf(v) >= 0 || isDecimal(v); }
  // A score: blank, or a decimal. The book says 0 to 100; content often reports points above
  // 100 with a matching max, so any non-negative decimal is kept rather than lost.
  function isScore(v) { return v === "" || (isDecimal(v) && +v >= 0); }

  // Element descriptions: [access, check or null]. Access: "r", "w" or "rw".
  var CORE = {
    "cmi.core.student_id": ["r"],
    "cmi.core.student_name": ["r"],
    "cmi.core.lesson_location": ["rw", string(MAX_STRING255)],
    "cmi.core.credit": ["r"],
    "cmi.core.lesson_status": ["rw", vocabulary(STATUS.slice(0, 5))],
    "cmi.core.entry": ["r"],
    "cmi.core.score.raw": ["rw", isScore],
    "cmi.core.score.min": ["rw", isScore],
    "cmi.core.score.max": ["rw", isScore],
    "cmi.core.total_time": ["r"],
    "cmi.core.lesson_mode": ["r"],
    "cmi.core.exit": ["w", vocabulary(EXIT)],
    "cmi.core.session_time": ["w", isTimespan],
    "cmi.suspend_data": ["rw", string(MAX_STRING4096)],
    "cmi.launch_data": ["r"],
    "cmi.comments": ["rw", string(MAX_STRING4096)],
    "cmi.comments_from_lms": ["r"],
    "cmi.student_data.mastery_score": ["r"],
    "cmi.student_data.max_time_allowed": ["r"],
    "cmi.student_data.time_limit_action": ["r"],
    "cmi.student_preference.audio": ["rw", inRange(-1, 100)],
    "cmi.student_preference.language": ["rw", string(MAX_STRING255)],
    "cmi.student_preference.speed": ["rw", inRange(-100, 100)],
    "cmi.student_preference.text": ["rw", inRange(-1, 1)],
  };
  var CHILDREN = {
    "cmi.core": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
    "cmi.core.score": "raw,min,max",
    "cmi.objectives": "id,score,status",
    "cmi.student_data": "mastery_score,max_time_allowed,time_limit_action",
    "cmi.student_preference": "audio,language,speed,text",
    "cmi.interactions": "id,objectives,time,type,correct_responses,weighting,student_response,result,latency",
  };
  // Fields of array records: objectives.n.* and interactions.n.*.
  var OBJECTIVE = {
    "id": ["rw", isIdentifier],
    "score.raw": ["rw", isScore],
    "score.min": ["rw", isScore],
    "score.max": ["rw", isScore],
    "status": ["rw", vocabulary(STATUS)],
  };
  var INTERACTION = {
    "id": ["w", isIdentifier],
    "time": ["w", isTime],
    "type": ["w", vocabulary(INTERACTION_TYPES)],
    "weighting": ["w", isDecimal],
    "student_response": ["w", string(MAX_STRING4096)],
    "result": ["w", isResult],
    "latency": ["w", isTimespan],
  };

  function create(options) {
    var o = options || {};
    var state = o.state ? JSON.parse(JSON.stringify(o.state)) : {};
    var values = state.values || {};
    var objectives = state.objectives || [];
    var interactions = state.interactions || [];
    var fixed = {
      "cmi._version": "3.4",
      "cmi.core.student_id": o.learnerId || "",
      "cmi.core.student_name": o.learnerName || "",
      "cmi.core.credit": o.credit || "credit",
      "cmi.core.entry": o.entry === undefined ? "ab-initio" : o.entry,
      "cmi.core.total_time": state.totalTime || "0000:00:00.00",
      "cmi.core.lesson_mode": o.mode || "normal",
      "cmi.launch_data": o.launchData || "",
      "cmi.comments_from_lms": o.commentsFromLms || "",
      "cmi.student_data.mastery_score": o.masteryScore === undefined || o.masteryScore === null ? "" : String(o.masteryScore),
      "cmi.student_data.max_time_allowed": o.maxTimeAllowed || "",
      "cmi.student_data.time_limit_action": o.timeLimitAction || "",
    };
    if (values["cmi.core.lesson_status"] === undefined) {
      values["cmi.core.lesson_status"] = "not attempted";
    }
    var phase = "new"; // new → running → finished
    var lastError = 0;

    function fail(code) { lastError = code; return ""; }
    function ok(value) { lastError = 0; return value; }

    function snapshot() {
      return JSON.parse(JSON.stringify({
        values: values,
        objectives: objectives,
        interactions: interactions,
        totalTime: fixed["cmi.core.total_time"],
      }));
    }

    // Splits "cmi.objectives.3.score.raw" into ["cmi.objectives", 3, "score.raw"].
    function arrayPath(name) {
      var m = /^(cmi\.objectives|cmi\.interactions)\.(\d+)\.(.+)$/.exec(name);
      return m ? [m[1], parseInt(m[2], 10), m[3]] : null;
    }

    function get(name) {
      if (phase !== "running") { return fail(301); }
      if (typeof name !== "string" || name === "") { return fail(201); }
      if (Object.prototype.hasOwnProperty.call(fixed, name)) { return ok(fixed[name]); }
      var kw = /^(.*)\._(children|count|version)$/.exec(name);
      if (kw) {
        if (kw[2] === "children") {
          if (CHILDREN[kw[1]] !== undefined) { return ok(CHILDREN[kw[1]]); }
          if (/^cmi\.objectives\.\d+\.score$/.test(kw[1])) { return ok("raw,min,max"); }
          return fail(known(kw[1]) ? 202 : 201);
        }
        if (kw[2] === "count") {
          if (kw[1] === "cmi.objectives") { return ok(String(objectives.length)); }
          if (kw[1] === "cmi.interactions") { return ok(String(interactions.length)); }
          var ic = /^cmi\.interactions\.(\d+)\.(objectives|correct_responses)$/.exec(kw[1]);
          if (ic) {
            var rec = interactions[+ic[1]];
            return ok(String(rec && rec[ic[2]] ? rec[ic[2]].length : 0));
          }
          return fail(known(kw[1]) ? 203 : 201);
        }
        return fail(201);
      }
      var desc = CORE[name];
      if (desc) {
        if (desc[0] === "w") { return fail(404); }
        var v = values[name];
        return ok(v === undefined ? "" : v);
      }
      var ap = arrayPath(name);
      if (ap) {
        var list = ap[0] === "cmi.objectives" ? objectives : interactions;
        var fields = ap[0] === "cmi.objectives" ? OBJECTIVE : INTERACTION;
        var field = fields[ap[2]];
        if (!field && ap[0] === "cmi.interactions" && /^(objectives|correct_responses)\.\d+\.(id|pattern)$/.test(ap[2])) {
          return fail(404);
        }
        if (!field) { return fail(201); }
        if (field[0] === "w") { return fail(404); }
        if (ap[1] >= list.length) { return fail(201); }
        var got = list[ap[1]][ap[2]];
        return ok(got === undefined ? "" : got);
      }
      return fail(201);
    }

    // Whether a name is a data model element or container (for 202/203 rather than 201).
    function known(prefix) {
      return CORE[prefix] !== undefined || CHILDREN[prefix] !== undefined ||
        Object.prototype.hasOwnProperty.call(fixed, prefix);
    }

    function set(name, value) {
      if (phase !== "running") { lastError = 301; return "false"; }
      if (typeof name !== "string" || name === "") { lastError = 201; return "false"; }
      var v = value === undefined || value === null ? "" : String(value);
      if (/\._(children|count|version)$/.test(name)) { lastError = 402; return "false"; }
      if (Object.prototype.hasOwnProperty.call(fixed, name)) { lastError = 403; return "false"; }
      var desc = CORE[name];
      if (desc) {
        if (desc[0] === "r") { lastError = 403; return "false"; }
        if (desc[1] && !desc[1](v)) { lastError = 405; return "false"; }
        values[name] = v;
        lastError = 0;
        return "true";
      }
      var ap = arrayPath(name);
      if (ap) {
        var list = ap[0] === "cmi.objectives" ? objectives : interactions;
        // Records are added in order: index n may be at most the current count.
        if (ap[1] > list.length) { lastError = 201; return "false"; }
        var record = list[ap[1]] || {};
        if (ap[0] === "cmi.interactions") {
          var sub = /^(objectives|correct_responses)\.(\d+)\.(id|pattern)$/.exec(ap[2]);
          if (sub) {
            var want = sub[1] === "objectives" ? "id" : "pattern";
            if (sub[3] !== want) { lastError = 201; return "false"; }
            var items = record[sub[1]] || [];
            var k = parseInt(sub[2], 10);
            if (k > items.length) { lastError = 201; return "false"; }
            if (want === "id" && !isIdentifier(v)) { lastError = 405; return "false"; }
            if (want === "pattern" && v.length > MAX_STRING4096) { lastError = 405; return "false"; }
            items[k] = v;
            record[sub[1]] = items;
            list[ap[1]] = record;
            lastError = 0;
            return "true";
          }
        }
        var fields = ap[0] === "cmi.objectives" ? OBJECTIVE : INTERACTION;
        var field = fields[ap[2]];
        if (!field) { lastError = 201; return "false"; }
        if (field[0] === "r") { lastError = 403; return "false"; }
        if (field[1] && !field[1](v)) { lastError = 405; return "false"; }
        record[ap[2]] = v;
        list[ap[1]] = record;
        lastError = 0;
        return "true";
      }
      lastError = 201;
      return "false";
    }

    // CMITimespan → seconds, and back (HHHH:MM:SS.SS).
    function toSeconds(t) {
      var m = /^(\d{2,4}):(\d{2}):(\d{2}(\.\d{1,2})?)$/.exec(t || "");
      return m ? (+m[1]) * 3600 + (+m[2]) * 60 + (+m[3]) : 0;
    }
    function fromSeconds(total) {
      var cs = Math.round(total * 100);
      var h = Math.floor(cs / 360000);
      var m = Math.floor((cs % 360000) / 6000);
      var sec = (cs % 6000) / 100;
      function pad(n, w) { n = String(n); while (n.length < w) { n = "0" + n; } return n; }
      return pad(h, 4) + ":" + pad(m, 2) + ":" + pad(sec.toFixed(2), 5);
    }

    // The LMS's part in cmi.core.lesson_status when a session ends (SCORM 1.2 RTE 3.4.4 and
    // the conformance requirements): a status the SCO never set becomes "completed" ("browsed"
    // in browse mode); then, for credit, a mastery score and a raw score decide "passed" or
    // "failed" unless the SCO said "incomplete".
    function finishStatus() {
      var status = values["cmi.core.lesson_status"];
      if (status === "not attempted") {
        status = fixed["cmi.core.lesson_mode"] === "browse" ? "browsed" : "completed";
      }
      var mastery = parseFloat(fixed["cmi.student_data.mastery_score"]);
      var raw = parseFloat(values["cmi.core.score.raw"]);
      if (fixed["cmi.core.credit"] === "credit" && status !== "incomplete" && status !== "browsed" &&
          !isNaN(mastery) && !isNaN(raw)) {
        status = raw >= mastery ? "passed" : "failed";
      }
      values["cmi.core.lesson_status"] = status;
    }

    // Hands the data model to the player: on LMSCommit ("commit") and LMSFinish ("terminate",
    // with the session's time).
    function persist(kind, sessionTime) {
      if (typeof o.commit === "function") {
        try { o.commit(snapshot(), kind, sessionTime); } catch (e) { lastError = 101; return "false"; }
      }
      lastError = 0;
      return "true";
    }

    var api = {
      LMSInitialize: function (arg) {
        if (arg !== "" && arg !== undefined) { lastError = 201; return "false"; }
        if (phase !== "new") { lastError = 101; return "false"; }
        phase = "running";
        lastError = 0;
        if (typeof o.initialize === "function") {
          try { o.initialize(snapshot()); } catch (e) { /* the player's report is best effort */ }
        }
        return "true";
      },
      LMSFinish: function (arg) {
        if (arg !== "" && arg !== undefined) { lastError = 201; return "false"; }
        if (phase !== "running") { lastError = 301; return "false"; }
        // The session's time joins the total when the session ends.
        var session = values["cmi.core.session_time"];
        if (session) {
          fixed["cmi.core.total_time"] = fromSeconds(toSeconds(fixed["cmi.core.total_time"]) + toSeconds(session));
          delete values["cmi.core.session_time"];
        }
        finishStatus();
        var result = persist("terminate", session || undefined);
        phase = "finished";
        if (typeof o.finish === "function") { o.finish(snapshot()); }
        return result;
      },
      LMSGetValue: function (name) { return get(name); },
      LMSSetValue: function (name, value) { return set(name, value); },
      LMSCommit: function (arg) {
        if (arg !== "" && arg !== undefined) { lastError = 201; return "false"; }
        if (phase !== "running") { lastError = 301; return "false"; }
        return persist("commit");
      },
      LMSGetLastError: function () { return String(lastError); },
      // For the player (not part of the SCORM API): whether the SCO's session is open.
      _laraRunning: function () { return phase === "running"; },
      LMSGetErrorString: function (code) {
        var text = ERRORS[parseInt(code, 10)];
        return text === undefined ? "" : text;
      },
      LMSGetDiagnostic: function (code) {
        var c = code === "" || code === undefined ? lastError : parseInt(code, 10);
        return ERRORS[c] === undefined ? "" : ERRORS[c];
      },
    };
    return api;
  }

  root.LaraScorm12 = { create: create, ERRORS: ERRORS };
}(typeof window !== "undefined" ? window : this));
