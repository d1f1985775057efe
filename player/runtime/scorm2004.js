// Lara's SCORM 2004 runtime: the `API_1484_11` object a SCO finds in a parent window.
//
// The 4th edition run-time data model (cmi.* and adl.*) is answered synchronously from the
// state held here; `commit(state)` hands a copy to the player on Commit and Terminate, and
// `create({state})` resumes from one. Access rules, vocabularies, ranges, the dependencies
// between fields (an interaction's type before its responses, a record's id before anything
// else) and the error codes follow the SCORM 2004 Run-Time Environment book. Sizes are the
// book's smallest permitted maximums raised where real content needs more.
//
// Navigation requests (adl.nav.request) are kept for the player, which asks the sequencer;
// `navValid(kind, target)` supplies adl.nav.request_valid.* (default "unknown").
(function (root) {
  "use strict";

  var ERRORS = {
    0: "No Error", 101: "General Exception", 102: "General Initialization Failure",
    103: "Already Initialized", 104: "Content Instance Terminated",
    111: "General Termination Failure", 112: "Termination Before Initialization",
    113: "Termination After Termination", 122: "Retrieve Data Before Initialization",
    123: "Retrieve Data After Termination", 132: "Store Data Before Initialization",
    133: "Store Data After Termination", 142: "Commit Before Initialization",
    143: "Commit After Termination", 201: "General Argument Error", 301: "General Get Failure",
    351: "General Set Failure", 391: "General Commit Failure",
    401: "Undefined Data Model Element", 402: "Unimplemented Data Model Element",
    403: "Data Model Element Value Not Initialized", 404: "Data Model Element Is Read Only",
    405: "Data Model Element Is Write Only", 406: "Data Model Element Type Mismatch",
    407: "Data Model Element Value Out Of Range", 408: "Data Model Dependency Not Established",
  };

  // Failure of a check: a type mismatch (406) or a value out of range (407).
  var TYPE = 406, RANGE = 407;

  function real(lo, hi) {
    return function (v) {
      if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(v)) { return TYPE; }
      var n = +v;
      if ((lo !== null && n < lo) || (hi !== null && n > hi)) { return RANGE; }
      return 0;
    };
  }
  function chars(max) { return function (v) { return v.length <= max ? 0 : TYPE; }; }
  function words(list) { return function (v) { return list.indexOf(v) >= 0 ? 0 : TYPE; }; }
  // localized_string_type: an optional {lang=tag} prefix (a tag is required inside it), then
  // text.
  function localized(max) {
    return function (v) { return isLocalized(v, max) ? 0 : TYPE; };
  }
  function isLocalized(v, max) {
    var m = /^\{lang=([^}]*)\}/.exec(v);
    if (m && (m[1] === "" || !isLanguage(m[1]))) { return false; }
    return (m ? v.length - m[0].length : v.length) <= max;
  }
  function isLanguage(v) { return v === "" || /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(v); }
  function language(v) { return isLanguage(v) ? 0 : TYPE; }
  // long_identifier_type (and short_identifier_type, max 250): a URI. Characters a URI never
  // has (white space, braces, quotes...) are refused; a URN needs its namespace and string.
  function isIdentifier(v, max) {
    if (v.length === 0 || v.length > max || /[\s{}<>"\\^`|]/.test(v)) { return false; }
    if (/^urn:/i.test(v) && !/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$/i.test(v)) { return false; }
    return true;
  }
  function identifier(v) { return isIdentifier(v, 4000) ? 0 : TYPE; }
  // time(second,10,2): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]]: each part needs the one before
  // it, a time zone comes only after fractional seconds (one or two digits).
  function timestamp(v) {
    var m = /^(\d{4})(-(\d{2})(-(\d{2})(T(\d{2})(:(\d{2})(:(\d{2})(\.\d{1,2}(Z|[+-]\d{2}(:\d{2})?)?)?)?)?)?)?)?$/.exec(v);
    if (!m) { return TYPE; }
    if (+m[1] < 1970 || +m[1] > 2038 || (m[3] && (+m[3] < 1 || +m[3] > 12)) ||
        (m[5] && (+m[5] < 1 || +m[5] > 31)) || (m[7] && +m[7] > 23) ||
        (m[9] && +m[9] > 59) || (m[11] && +m[11] > 59)) { return TYPE; }
    return 0;
  }
  // timeinterval(second,10,2): ISO 8601 duration.
  function duration(v) {
    return /^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/.test(v) ? 0 : TYPE;
  }
  function ok() { return 0; }

  var COMPLETION = ["completed", "incomplete", "not attempted", "unknown"];
  var SUCCESS = ["passed", "failed", "unknown"];
  var INTERACTION_TYPES = ["true-false", "choice", "fill-in", "long-fill-in", "matching",
    "performance", "sequencing", "likert", "numeric", "other"];
  var NAV = /^(continue|previous|exit|exitAll|abandon|abandonAll|suspendAll|_none_|\{target=[^}]+\}(choice|jump))$/;

  // Responses (cmi.interactions.n.learner_response) and correct response patterns by
  // interaction type, as the RTE book formats them: [,] separates items, [.] the parts of a
  // pair, {case_matters=}/{order_matters=} may open a pattern.
  var NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/;
  var MAX_PATTERNS = { "true-false": 1, choice: 10, "fill-in": 10, "long-fill-in": 5, likert: 1,
    matching: 5, performance: 5, sequencing: 5, numeric: 1, other: 1 };
  function shortId(v) { return isIdentifier(v, 250); }
  function splitItems(v) { return v.split("[,]"); }
  function unique(list) { return list.every(function (x, i) { return list.indexOf(x) === i; }); }
  function pair(v, left, right) {
    var p = v.split("[.]");
    return p.length === 2 && left(p[0]) && right(p[1]);
  }
  function flags(v, names) {
    var m;
    while ((m = /^\{(case_matters|order_matters)=(true|false)\}/.exec(v)) && names.indexOf(m[1]) >= 0) {
      v = v.slice(m[0].length);
    }
    return v;
  }
  function response(type, v, pattern) {
    var list;
    switch (type) {
      case "true-false":
        return v === "true" || v === "false" ? 0 : TYPE;
      case "choice":
        if (v === "") { return 0; }
        list = splitItems(v);
        return list.length <= 36 && list.every(shortId) && unique(list) ? 0 : TYPE;
      case "sequencing":
        list = splitItems(v);
        return list.length <= 36 && list.every(shortId) ? 0 : TYPE;
      case "likert":
        return shortId(v) ? 0 : TYPE;
      case "matching":
        list = splitItems(v);
        return list.length <= 36 && list.every(function (x) { return pair(x, shortId, shortId); }) ? 0 : TYPE;
      case "performance":
        if (pattern) { v = flags(v, ["order_matters"]); }
        list = splitItems(v);
        return list.length <= 250 && list.every(function (x) {
          var p = x.split("[.]");
          return p.length === 2 && (p[0] === "" || shortId(p[0])) && (p[0] !== "" || p[1] !== "") && p[1].length <= 250;
        }) ? 0 : TYPE;
      case "fill-in":
        if (pattern) { v = flags(v, ["case_matters", "order_matters"]); }
        list = splitItems(v);
        return list.length <= 10 && list.every(function (x) { return isLocalized(x, 250); }) ? 0 : TYPE;
      case "long-fill-in":
        if (pattern) { v = flags(v, ["case_matters"]); }
        return isLocalized(v, 4000) ? 0 : TYPE;
      case "numeric":
        if (pattern) {
          var r = v.split("[:]");
          if (r.length > 2 || !r.every(function (x) { return x === "" || NUMBER.test(x); })) { return TYPE; }
          return r.length === 2 && r[0] !== "" && r[1] !== "" && +r[0] > +r[1] ? TYPE : 0;
        }
        return NUMBER.test(v) ? 0 : TYPE;
      default:
        return v.length <= 4000 ? 0 : TYPE;
    }
  }

  // [access, check, initial]: access "r", "w" or "rw"; `initial` undefined means "not
  // initialized" (403) until set or given.
  var SCALARS = {
    "cmi.completion_status": ["rw", words(COMPLETION), "unknown"],
    "cmi.completion_threshold": ["r"],
    "cmi.credit": ["r"],
    "cmi.entry": ["r"],
    "cmi.exit": ["w", words(["time-out", "suspend", "logout", "normal", ""])],
    "cmi.launch_data": ["r"],
    "cmi.learner_id": ["r"],
    "cmi.learner_name": ["r"],
    "cmi.learner_preference.audio_level": ["rw", real(0, null), "1"],
    "cmi.learner_preference.language": ["rw", language, ""],
    "cmi.learner_preference.delivery_speed": ["rw", real(0, null), "1"],
    "cmi.learner_preference.audio_captioning": ["rw", words(["-1", "0", "1"]), "0"],
    "cmi.location": ["rw", chars(4000)],
    "cmi.max_time_allowed": ["r"],
    "cmi.mode": ["r"],
    "cmi.progress_measure": ["rw", real(0, 1)],
    "cmi.scaled_passing_score": ["r"],
    "cmi.score.scaled": ["rw", real(-1, 1)],
    "cmi.score.raw": ["rw", real(null, null)],
    "cmi.score.min": ["rw", real(null, null)],
    "cmi.score.max": ["rw", real(null, null)],
    "cmi.session_time": ["w", duration],
    "cmi.success_status": ["rw", words(SUCCESS), "unknown"],
    "cmi.suspend_data": ["rw", chars(262144)],
    "cmi.time_limit_action": ["r"],
    "cmi.total_time": ["r"],
    "adl.nav.request": ["rw", function (v) { return NAV.test(v) ? 0 : TYPE; }, "_none_"],
  };
  var CHILDREN = {
    "cmi.comments_from_learner": "comment,location,timestamp",
    "cmi.comments_from_lms": "comment,location,timestamp",
    "cmi.interactions": "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description",
    "cmi.learner_preference": "audio_level,language,delivery_speed,audio_captioning",
    "cmi.objectives": "id,score,success_status,completion_status,progress_measure,description",
    "cmi.score": "scaled,raw,min,max",
    "adl.data": "id,store",
  };
  // Array records: field → [access, check].
  var RECORDS = {
    "cmi.comments_from_learner": {
      comment: ["rw", localized(4000)], location: ["rw", chars(250)], timestamp: ["rw", timestamp],
    },
    "cmi.comments_from_lms": { comment: ["r"], location: ["r"], timestamp: ["r"] },
    "cmi.objectives": {
      id: ["rw", identifier], "score.scaled": ["rw", real(-1, 1)], "score.raw": ["rw", real(null, null)],
      "score.min": ["rw", real(null, null)], "score.max": ["rw", real(null, null)],
      success_status: ["rw", words(SUCCESS)], completion_status: ["rw", words(COMPLETION)],
      progress_measure: ["rw", real(0, 1)], description: ["rw", localized(250)],
    },
    "cmi.interactions": {
      id: ["rw", identifier], type: ["rw", words(INTERACTION_TYPES)], timestamp: ["rw", timestamp],
      weighting: ["rw", real(null, null)], learner_response: ["rw", null],
      result: ["rw", function (v) {
        return ["correct", "incorrect", "unanticipated", "neutral"].indexOf(v) >= 0 ? 0 : real(null, null)(v);
      }],
      latency: ["rw", duration], description: ["rw", localized(250)],
    },
    "adl.data": { id: ["r"], store: ["rw", chars(64000)] },
  };

  function create(options) {
    var o = options || {};
    var saved = o.state ? JSON.parse(JSON.stringify(o.state)) : {};
    var values = saved.values || {};
    // A navigation request belongs to the session that made it.
    delete values["adl.nav.request"];
    var arrays = saved.arrays || {};
    // A new attempt starts with the objectives the LMS knows from the sequencing definition
    // (their ids, and what global objectives they read); a resumed one has its own.
    if (!saved.arrays) {
      arrays["cmi.objectives"] = (o.objectives || []).map(function (r) { return Object.assign({}, r); });
    }
    ["cmi.comments_from_learner", "cmi.objectives", "cmi.interactions"].forEach(function (k) {
      arrays[k] = arrays[k] || [];
    });
    arrays["cmi.comments_from_lms"] = (o.commentsFromLms || []).map(function (c) { return Object.assign({}, c); });
    // Shared data buckets (adl.data): ids from the manifest's data maps, stores from the LMS.
    arrays["adl.data"] = (o.sharedData || []).map(function (d) {
      return { id: d.id, store: d.store, _read: d.read !== false, _write: !!d.write };
    });
    var given = {
      "cmi._version": "1.0",
      "cmi.credit": o.credit || "credit",
      "cmi.entry": o.entry === undefined ? "ab-initio" : o.entry,
      "cmi.learner_id": o.learnerId || "",
      "cmi.learner_name": o.learnerName || "",
      "cmi.mode": o.mode || "normal",
      "cmi.total_time": saved.totalTime || "PT0H0M0S",
    };
    [["cmi.completion_threshold", o.completionThreshold], ["cmi.launch_data", o.launchData],
      ["cmi.max_time_allowed", o.maxTimeAllowed], ["cmi.scaled_passing_score", o.scaledPassingScore],
      ["cmi.time_limit_action", o.timeLimitAction]].forEach(function (p) {
      if (p[1] !== undefined && p[1] !== null && p[1] !== "") { given[p[0]] = String(p[1]); }
    });
    var phase = "new";
    var lastError = 0;
    var diagnostic = "";

    function err(code, why) { lastError = code; diagnostic = why || ""; }

    function snapshot() {
      var copy = JSON.parse(JSON.stringify({ values: values, arrays: arrays, totalTime: given["cmi.total_time"] }));
      // The statuses as the LMS evaluates them, for reports and statements.
      copy.evaluated = {
        completion: evaluated("cmi.completion_status"),
        success: evaluated("cmi.success_status"),
      };
      delete copy.arrays["cmi.comments_from_lms"];
      return copy;
    }

    // "cmi.interactions.2.objectives.0.id" → {array, n, field, sub, m, subField}.
    function parseArray(name) {
      var m = /^(cmi\.comments_from_learner|cmi\.comments_from_lms|cmi\.objectives|cmi\.interactions|adl\.data)\.(\d+)\.(.+)$/.exec(name);
      if (!m) { return null; }
      var rest = m[3];
      var sub = /^(objectives|correct_responses)\.(\d+)\.(id|pattern)$/.exec(rest);
      return { array: m[1], n: parseInt(m[2], 10), field: rest, sub: sub };
    }

    function getValue(name) {
      if (phase === "new") { err(122); return ""; }
      if (phase === "done") { err(123); return ""; }
      if (typeof name !== "string" || name === "") { err(301, "no element named"); return ""; }
      err(0);
      if (Object.prototype.hasOwnProperty.call(given, name)) { return given[name]; }
      var kw = /^(.+)\._(children|count)$/.exec(name);
      if (kw) {
        if (kw[2] === "children") {
          if (CHILDREN[kw[1]]) { return CHILDREN[kw[1]]; }
          if (/^cmi\.objectives\.\d+\.score$/.test(kw[1])) { return "scaled,raw,min,max"; }
          err(defined(kw[1]) ? 301 : 401, "no children");
          return "";
        }
        if (arrays[kw[1]]) { return String(arrays[kw[1]].length); }
        var ic = /^cmi\.interactions\.(\d+)\.(objectives|correct_responses)$/.exec(kw[1]);
        if (ic) {
          var rec = arrays["cmi.interactions"][+ic[1]];
          if (!rec) { err(301, "no such interaction"); return ""; }
          return String((rec[ic[2]] || []).length);
        }
        err(defined(kw[1]) ? 301 : 401, "not an array");
        return "";
      }
      if (/^adl\.nav\.request_valid\./.test(name)) {
        var q = /^adl\.nav\.request_valid\.(continue|previous|choice\.\{target=([^}]+)\}|jump\.\{target=([^}]+)\})$/.exec(name);
        if (!q) { err(401); return ""; }
        var kind = q[1].split(".")[0];
        var answer = typeof o.navValid === "function" ? o.navValid(kind, q[2] || q[3] || null) : "unknown";
        return answer === true ? "true" : answer === false ? "false" : "unknown";
      }
      // Statuses the LMS evaluates (RTE 4.2.4.1 and 4.2.21.1): with a completion threshold, the
      // progress measure decides completion; with a scaled passing score, the scaled score
      // decides success, whatever the SCO set.
      if (name === "cmi.completion_status" || name === "cmi.success_status") {
        return evaluated(name);
      }
      var s = SCALARS[name];
      if (s) {
        if (s[0] === "w") { err(405); return ""; }
        if (values[name] !== undefined) { return values[name]; }
        if (s[2] !== undefined) { return s[2]; }
        err(403);
        return "";
      }
      var a = parseArray(name);
      if (a) {
        var list = arrays[a.array];
        var spec = RECORDS[a.array];
        var fieldName = a.sub ? a.sub[1] : a.field;
        if (!a.sub && !spec[a.field]) { err(401); return ""; }
        if (a.sub && a.array !== "cmi.interactions") { err(401); return ""; }
        var record = list[a.n];
        if (!record) { err(301, "index beyond the count"); return ""; }
        if (a.array === "adl.data" && a.field === "store" && !record._read) { err(405); return ""; }
        if (spec[fieldName] && spec[fieldName][0] === "w") { err(405); return ""; }
        var got;
        if (a.sub) {
          var item = (record[a.sub[1]] || [])[+a.sub[2]];
          if (item === undefined) { err(301, "index beyond the count"); return ""; }
          got = item;
        } else {
          got = record[a.field];
        }
        if (got === undefined) {
          // An objective's statuses are "unknown" until set (RTE 4.2.17).
          if (a.array === "cmi.objectives" && (a.field === "success_status" || a.field === "completion_status")) {
            return "unknown";
          }
          err(403);
          return "";
        }
        return got;
      }
      err(401);
      return "";
    }

    function evaluated(name) {
      if (name === "cmi.completion_status") {
        var threshold = given["cmi.completion_threshold"];
        if (threshold !== undefined) {
          var progress = values["cmi.progress_measure"];
          if (progress === undefined) { return "unknown"; }
          return +progress >= +threshold ? "completed" : "incomplete";
        }
        return values[name] !== undefined ? values[name] : "unknown";
      }
      var passing = given["cmi.scaled_passing_score"];
      if (passing !== undefined) {
        var scaled = values["cmi.score.scaled"];
        if (scaled === undefined) { return "unknown"; }
        return +scaled >= +passing ? "passed" : "failed";
      }
      return values[name] !== undefined ? values[name] : "unknown";
    }

    function defined(n) {
      return SCALARS[n] !== undefined || CHILDREN[n] !== undefined ||
        Object.prototype.hasOwnProperty.call(given, n) || /^cmi\.(score|learner_preference)$/.test(n);
    }

    function setValue(name, value) {
      if (phase === "new") { err(132); return "false"; }
      if (phase === "done") { err(133); return "false"; }
      if (typeof name !== "string" || name === "") { err(351, "no element named"); return "false"; }
      var v = value === undefined || value === null ? "" : String(value);
      if (/\._(children|count|version)$/.test(name) || name === "cmi._version") { err(404); return "false"; }
      if (Object.prototype.hasOwnProperty.call(given, name)) { err(404); return "false"; }
      if (/^adl\.nav\.request_valid\./.test(name)) { err(404); return "false"; }
      var s = SCALARS[name];
      if (s) {
        if (s[0] === "r") { err(404); return "false"; }
        var bad = s[1] ? s[1](v) : 0;
        if (bad) { err(bad); return "false"; }
        values[name] = v;
        err(0);
        return "true";
      }
      var a = parseArray(name);
      if (a) {
        var list = arrays[a.array];
        var spec = RECORDS[a.array];
        if (a.n > list.length) { err(351, "records must be added in order"); return "false"; }
        var record = list[a.n];
        if (a.sub) {
          if (a.array !== "cmi.interactions") { err(401); return "false"; }
          var want = a.sub[1] === "objectives" ? "id" : "pattern";
          if (a.sub[3] !== want) { err(401); return "false"; }
          if (!record || record.id === undefined) { err(408, "set the interaction's id first"); return "false"; }
          if (want === "pattern" && record.type === undefined) { err(408, "set the interaction's type first"); return "false"; }
          var items = record[a.sub[1]] || [];
          var k = +a.sub[2];
          if (k > items.length) { err(351, "records must be added in order"); return "false"; }
          // How many correct responses an interaction type allows, each pattern once.
          if (want === "pattern" && k >= (MAX_PATTERNS[record.type] || 1)) {
            err(351, "no more correct responses for this interaction type"); return "false";
          }
          var check = want === "id" ? identifier(v) : response(record.type, v, true);
          if (check) { err(check); return "false"; }
          if (items.some(function (x, i) { return x === v && i !== k; })) {
            err(351, want === "id" ? "objective ids of an interaction must be unique" : "correct responses must differ");
            return "false";
          }
          items[k] = v;
          record[a.sub[1]] = items;
          err(0);
          return "true";
        }
        var f = spec[a.field];
        if (!f) { err(401); return "false"; }
        if (f[0] === "r") { err(404); return "false"; }
        if (a.array === "adl.data") {
          if (!record) { err(351, "no shared data bucket at this index"); return "false"; }
          if (!record._write) { err(404); return "false"; }
        }
        var isNew = !record;
        if (a.array !== "cmi.comments_from_learner" && a.array !== "adl.data" && a.field !== "id" &&
            (isNew || record.id === undefined)) {
          err(408, "set the record's id first");
          return "false";
        }
        var bad2 = a.field === "learner_response" ? response(record && record.type, v) : f[1] ? f[1](v) : 0;
        if (a.field === "learner_response" && (!record || record.type === undefined)) {
          err(408, "set the interaction's type first"); return "false";
        }
        if (bad2) { err(bad2); return "false"; }
        // An objective's id is written once: the same value again is fine, another is not.
        if (a.array === "cmi.objectives" && a.field === "id" && record && record.id !== undefined && record.id !== v) {
          err(351, "an objective's id cannot be changed once set"); return "false";
        }
        if (a.array === "cmi.objectives" && a.field === "id" && list.some(function (r, i) { return r.id === v && i !== a.n; })) {
          err(351, "objective ids must be unique"); return "false";
        }
        record = record || {};
        record[a.field] = v;
        list[a.n] = record;
        err(0);
        return "true";
      }
      err(401);
      return "false";
    }

    // ISO 8601 duration → seconds (years and months as 365 and 30 days), and back.
    function toSeconds(d) {
      var m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d || "");
      if (!m) { return 0; }
      return (+(m[1] || 0)) * 31536000 + (+(m[2] || 0)) * 2592000 + (+(m[3] || 0)) * 86400 +
        (+(m[4] || 0)) * 3600 + (+(m[5] || 0)) * 60 + (+(m[6] || 0));
    }
    function fromSeconds(total) {
      var cs = Math.round(total * 100);
      var h = Math.floor(cs / 360000);
      var mi = Math.floor((cs % 360000) / 6000);
      var s = (cs % 6000) / 100;
      return "PT" + h + "H" + mi + "M" + s + "S";
    }

    // Hands the data model to the player: on Commit ("commit") and Terminate ("terminate",
    // with the session's time).
    function save(kind, sessionTime) {
      if (typeof o.commit === "function") {
        try { o.commit(snapshot(), kind, sessionTime); } catch (e) { err(391, String(e)); return "false"; }
      }
      err(0);
      return "true";
    }

    return {
      Initialize: function (arg) {
        if (arg !== "" && arg !== undefined) { err(201); return "false"; }
        if (phase === "running") { err(103); return "false"; }
        if (phase === "done") { err(104); return "false"; }
        phase = "running";
        err(0);
        if (typeof o.initialize === "function") {
          try { o.initialize(snapshot()); } catch (e) { /* the player's report is best effort */ }
        }
        return "true";
      },
      Terminate: function (arg) {
        if (arg !== "" && arg !== undefined) { err(201); return "false"; }
        if (phase === "new") { err(112); return "false"; }
        if (phase === "done") { err(113); return "false"; }
        // The session's time joins the total when the session ends.
        var session = values["cmi.session_time"];
        if (session) {
          given["cmi.total_time"] = fromSeconds(toSeconds(given["cmi.total_time"]) + toSeconds(session));
          delete values["cmi.session_time"];
        }
        var result = save("terminate", session || undefined);
        if (result !== "true") { return result; }
        phase = "done";
        if (typeof o.terminate === "function") { o.terminate(snapshot()); }
        return "true";
      },
      GetValue: getValue,
      SetValue: setValue,
      Commit: function (arg) {
        if (arg !== "" && arg !== undefined) { err(201); return "false"; }
        if (phase === "new") { err(142); return "false"; }
        if (phase === "done") { err(143); return "false"; }
        return save("commit");
      },
      GetLastError: function () { return String(lastError); },
      // For the player (not part of the SCORM API): whether the SCO's session is open.
      _laraRunning: function () { return phase === "running"; },
      GetErrorString: function (code) {
        var t = ERRORS[parseInt(code, 10)];
        return t === undefined ? "" : t;
      },
      GetDiagnostic: function (code) {
        var c = code === "" || code === undefined ? lastError : parseInt(code, 10);
        if (c === lastError && diagnostic) { return diagnostic; }
        return ERRORS[c] === undefined ? "" : ERRORS[c];
      },
    };
  }

  root.LaraScorm2004 = { create: create, ERRORS: ERRORS };
}(typeof window !== "undefined" ? window : this));
