// The test course's cmi5 AU client: reads the launch parameters, gets the auth token from the
// fetch URL, reads LMS.LaunchData and sends cmi5-defined statements for this session.
(function () {
  "use strict";
  var q = new URLSearchParams(window.location.search);
  var launch = {
    endpoint: (q.get("endpoint") || "").replace(/\/?$/, "/"),
    fetchUrl: q.get("fetch"),
    actor: q.get("actor") ? JSON.parse(q.get("actor")) : null,
    registration: q.get("registration"),
    activityId: q.get("activityId"),
  };
  var VERB = "http://adlnet.gov/expapi/verbs/";
  var auth = null;
  var launchData = null;
  var session = null;

  function uuid() {
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  function xapi(method, resource, body) {
    return fetch(launch.endpoint + resource, {
      method: method,
      headers: { "Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      keepalive: true,
    }).then(function (r) {
      if (!r.ok) { throw new Error(method + " " + resource + ": " + r.status); }
      return r.status === 204 ? null : r.json();
    });
  }

  function statement(verb, display, extra) {
    var s = {
      id: uuid(),
      actor: launch.actor,
      verb: { id: VERB + verb, display: { "en-US": display } },
      object: { id: launch.activityId, objectType: "Activity" },
      timestamp: new Date().toISOString(),
      context: JSON.parse(JSON.stringify(launchData.contextTemplate || {})),
    };
    s.context.registration = launch.registration;
    s.context.extensions = s.context.extensions || {};
    s.context.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"] = session;
    s.context.contextActivities = s.context.contextActivities || {};
    var cats = s.context.contextActivities.category || [];
    cats.push({ id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" });
    if (extra && extra.moveOn) { cats.push({ id: "https://w3id.org/xapi/cmi5/context/categories/moveon" }); }
    s.context.contextActivities.category = cats;
    if (extra && extra.result) { s.result = extra.result; }
    return xapi("POST", "statements", s);
  }

  var au = {
    start: function () {
      if (!launch.fetchUrl) { return Promise.reject(new Error("not launched by a cmi5 LMS")); }
      return fetch(launch.fetchUrl, { method: "POST" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (!body["auth-token"]) { throw new Error(body["error-text"] || "no auth token"); }
          auth = "Basic " + body["auth-token"];
          var state = "activities/state?" + new URLSearchParams({
            stateId: "LMS.LaunchData", activityId: launch.activityId,
            agent: JSON.stringify(launch.actor), registration: launch.registration,
          });
          return xapi("GET", state);
        })
        .then(function (data) {
          launchData = data;
          session = (launchData.contextTemplate && launchData.contextTemplate.extensions &&
            launchData.contextTemplate.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"]) || uuid();
          return statement("initialized", "initialized");
        })
        .then(function () { return launchData; });
    },
    completed: function () {
      return statement("completed", "completed", { moveOn: true, result: { completion: true, duration: "PT1M" } });
    },
    scored: function (scaled) {
      var mastery = launchData.masteryScore;
      var passed = mastery === undefined || scaled >= mastery;
      return statement(passed ? "passed" : "failed", passed ? "passed" : "failed", {
        moveOn: true, result: { score: { scaled: scaled }, success: passed, duration: "PT1M" },
      }).then(function () { return passed; });
    },
    terminate: function () {
      return statement("terminated", "terminated", { result: { duration: "PT2M" } })
        .then(function () { if (launchData.returnURL) { window.location.href = launchData.returnURL; } });
    },
  };
  window.LaraTestAu = au;
}());
