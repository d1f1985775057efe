// The demo SCO's tracking: SCORM 1.2 calls only, as a vendor's SCO would make them.
(function () {
  "use strict";

  // The LMS provides an object named API in a parent (or opener's parent) window.
  function findApi(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      if (win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findApi(window) || (window.opener ? findApi(window.opener) : null);
  var started = Date.now();
  var status = document.getElementById("lms");

  function call(name, a, b) {
    if (!api) { return ""; }
    var result = b === undefined ? api[name](a === undefined ? "" : a) : api[name](a, b);
    return result === undefined || result === null ? "" : String(result);
  }

  // CMITimespan: HHHH:MM:SS.SS
  function timespan(ms) {
    var s = ms / 1000;
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = (s % 60).toFixed(2);
    function pad(n, w) { n = String(n); while (n.length < w) { n = "0" + n; } return n; }
    return pad(h, 4) + ":" + pad(m, 2) + ":" + pad(sec, 5);
  }

  if (api && call("LMSInitialize") === "true") {
    status.textContent = "Progress is recorded by your learning platform.";
    if (call("LMSGetValue", "cmi.core.lesson_status") === "not attempted") {
      call("LMSSetValue", "cmi.core.lesson_status", "incomplete");
    }
    // Answers given in an earlier session come back through suspend_data.
    var saved = call("LMSGetValue", "cmi.suspend_data");
    saved.split(";").forEach(function (pair) {
      var kv = pair.split("=");
      var input = document.querySelector('input[name="' + kv[0] + '"][value="' + kv[1] + '"]');
      if (input) { input.checked = true; }
    });
  } else {
    api = null;
    status.textContent = "No learning platform found: nothing is recorded.";
  }

  document.getElementById("check").addEventListener("submit", function (event) {
    event.preventDefault();
    var sets = document.querySelectorAll("fieldset[data-question]");
    var right = 0;
    var answers = [];
    sets.forEach(function (set, i) {
      var q = set.getAttribute("data-question");
      var chosen = set.querySelector("input:checked");
      var value = chosen ? chosen.value : "";
      var correct = value === set.getAttribute("data-correct");
      if (correct) { right++; }
      answers.push(q + "=" + value);
      var n = "cmi.interactions." + i + ".";
      call("LMSSetValue", n + "id", q);
      call("LMSSetValue", n + "type", "choice");
      call("LMSSetValue", n + "student_response", value);
      call("LMSSetValue", n + "correct_responses.0.pattern", set.getAttribute("data-correct"));
      call("LMSSetValue", n + "result", correct ? "correct" : "wrong");
    });
    var score = Math.round(100 * right / sets.length);
    var mastery = parseFloat(call("LMSGetValue", "cmi.student_data.mastery_score")) || 80;
    call("LMSSetValue", "cmi.suspend_data", answers.join(";"));
    call("LMSSetValue", "cmi.core.score.min", "0");
    call("LMSSetValue", "cmi.core.score.max", "100");
    call("LMSSetValue", "cmi.core.score.raw", String(score));
    call("LMSSetValue", "cmi.core.lesson_status", score >= mastery ? "passed" : "failed");
    call("LMSCommit");
    document.getElementById("result").textContent =
      "You answered " + right + " of " + sets.length + " correctly (" + score + "%). " +
      (score >= mastery ? "Passed." : "Not passed yet: read the lesson and try again.");
  });

  var finished = false;
  function finish() {
    if (!api || finished) { return; }
    finished = true;
    call("LMSSetValue", "cmi.core.session_time", timespan(Date.now() - started));
    call("LMSSetValue", "cmi.core.exit", "suspend");
    call("LMSFinish");
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
}());
