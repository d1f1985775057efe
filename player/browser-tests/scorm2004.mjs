// The SCORM 2004 runtime (player/runtime/scorm2004.js) in Chromium: data model, access rules,
// dependencies and error codes. Usage: node scorm2004.mjs
import { fileURLToPath } from "node:url";
import { run, check } from "./lib.mjs";

const runtime = fileURLToPath(new URL("../runtime/scorm2004.js", import.meta.url));

await run("scorm 2004 runtime", async (page) => {
  await page.setContent("<!DOCTYPE html><html><body></body></html>");
  await page.addScriptTag({ path: runtime });
  const outcome = await page.evaluate(() => {
    const commits = [];
    const api = window.LaraScorm2004.create({
      learnerId: "learner-1",
      learnerName: "Jane Doe",
      launchData: "level=2",
      completionThreshold: 0.8,
      scaledPassingScore: 0.7,
      sharedData: [
        { id: "urn:notes", store: "", read: true, write: true },
        { id: "urn:readonly", store: "fixed", read: true, write: false },
      ],
      navValid: (kind, target) => (kind === "continue" ? true : kind === "choice" ? target === "SCO2" : false),
      commit: (s) => commits.push(s),
    });
    const cases = [
      ["GetValue", ["cmi.learner_id"], "", "122"],
      ["SetValue", ["cmi.location", "p1"], "false", "132"],
      ["Commit", [""], "false", "142"],
      ["Terminate", [""], "false", "112"],
      ["Initialize", ["x"], "false", "201"],
      ["Initialize", [""], "true", "0"],
      ["Initialize", [""], "false", "103"],
      ["GetValue", ["cmi._version"], "1.0", "0"],
      ["GetValue", ["cmi.learner_name"], "Jane Doe", "0"],
      ["GetValue", ["cmi.completion_status"], "unknown", "0"],
      ["GetValue", ["cmi.success_status"], "unknown", "0"],
      ["GetValue", ["cmi.completion_threshold"], "0.8", "0"],
      ["GetValue", ["cmi.scaled_passing_score"], "0.7", "0"],
      ["GetValue", ["cmi.launch_data"], "level=2", "0"],
      ["GetValue", ["cmi.max_time_allowed"], "", "403"],
      ["GetValue", ["cmi.location"], "", "403"],
      ["GetValue", ["cmi.suspend_data"], "", "403"],
      ["GetValue", ["cmi.score.raw"], "", "403"],
      ["GetValue", ["cmi.total_time"], "PT0H0M0S", "0"],
      ["GetValue", ["cmi.exit"], "", "405"],
      ["GetValue", ["cmi.session_time"], "", "405"],
      ["GetValue", ["cmi.score._children"], "scaled,raw,min,max", "0"],
      ["GetValue", ["cmi.objectives._count"], "0", "0"],
      ["GetValue", ["cmi.nothing"], "", "401"],
      ["GetValue", ["cmi.learner_id._children"], "", "301"],
      ["SetValue", ["cmi.learner_id", "x"], "false", "404"],
      ["SetValue", ["cmi._version", "2"], "false", "404"],
      ["SetValue", ["cmi.interactions._count", "1"], "false", "404"],
      ["SetValue", ["cmi.nothing", "x"], "false", "401"],
      ["SetValue", ["cmi.completion_status", "done"], "false", "406"],
      ["SetValue", ["cmi.completion_status", "completed"], "true", "0"],
      ["SetValue", ["cmi.success_status", "failed"], "true", "0"],
      // With a threshold and a passing score, the LMS evaluates; unset measures give unknown.
      ["GetValue", ["cmi.completion_status"], "unknown", "0"],
      ["GetValue", ["cmi.success_status"], "unknown", "0"],
      ["SetValue", ["cmi.score.scaled", "1.5"], "false", "407"],
      ["SetValue", ["cmi.score.scaled", "abc"], "false", "406"],
      ["SetValue", ["cmi.score.scaled", "0.85"], "true", "0"],
      ["SetValue", ["cmi.score.raw", "170"], "true", "0"],
      ["SetValue", ["cmi.progress_measure", "1.01"], "false", "407"],
      ["SetValue", ["cmi.progress_measure", "0.5"], "true", "0"],
      ["GetValue", ["cmi.completion_status"], "incomplete", "0"],
      ["GetValue", ["cmi.success_status"], "passed", "0"],
      ["SetValue", ["cmi.session_time", "PT1H2M3.5S"], "true", "0"],
      ["SetValue", ["cmi.session_time", "01:02:03"], "false", "406"],
      ["SetValue", ["cmi.session_time", "P"], "false", "406"],
      ["SetValue", ["cmi.exit", "suspend"], "true", "0"],
      ["SetValue", ["cmi.exit", "pause"], "false", "406"],
      ["SetValue", ["cmi.suspend_data", "x".repeat(64000)], "true", "0"],
      ["SetValue", ["cmi.learner_preference.audio_captioning", "2"], "false", "406"],
      ["SetValue", ["cmi.learner_preference.audio_level", "-1"], "false", "407"],
      ["SetValue", ["cmi.learner_preference.language", "sv-SE"], "true", "0"],
      ["SetValue", ["cmi.objectives.0.success_status", "passed"], "false", "408"],
      ["SetValue", ["cmi.objectives.1.id", "obj-b"], "false", "351"],
      ["SetValue", ["cmi.objectives.0.id", "urn:obj:a"], "true", "0"],
      ["SetValue", ["cmi.objectives.0.score.scaled", "0.9"], "true", "0"],
      ["SetValue", ["cmi.objectives.0.description", "{lang=sv}Handhygien"], "true", "0"],
      ["SetValue", ["cmi.objectives.1.id", "urn:obj:a"], "false", "351"],
      ["GetValue", ["cmi.objectives.0.score._children"], "scaled,raw,min,max", "0"],
      ["GetValue", ["cmi.objectives.0.score.scaled"], "0.9", "0"],
      ["GetValue", ["cmi.objectives.0.progress_measure"], "", "403"],
      ["GetValue", ["cmi.objectives.3.id"], "", "301"],
      ["SetValue", ["cmi.interactions.0.type", "choice"], "false", "408"],
      ["SetValue", ["cmi.interactions.0.id", "urn:q:1"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.learner_response", "a"], "false", "408"],
      ["SetValue", ["cmi.interactions.0.correct_responses.0.pattern", "a"], "false", "408"],
      ["SetValue", ["cmi.interactions.0.type", "true-false"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.learner_response", "maybe"], "false", "406"],
      ["SetValue", ["cmi.interactions.0.learner_response", "true"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.correct_responses.0.pattern", "false"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.result", "incorrect"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.result", "wrong"], "false", "406"],
      ["SetValue", ["cmi.interactions.0.timestamp", "2026-11-23T14:05:09.5+01:00"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.timestamp", "23/11/2026"], "false", "406"],
      ["SetValue", ["cmi.interactions.0.latency", "PT12S"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.objectives.0.id", "urn:obj:a"], "true", "0"],
      ["SetValue", ["cmi.interactions.0.objectives.1.id", "urn:obj:a"], "false", "351"],
      ["SetValue", ["cmi.interactions.1.id", "urn:q:2"], "true", "0"],
      ["SetValue", ["cmi.interactions.1.type", "numeric"], "true", "0"],
      ["SetValue", ["cmi.interactions.1.correct_responses.0.pattern", "10[:]20"], "true", "0"],
      ["SetValue", ["cmi.interactions.1.learner_response", "twelve"], "false", "406"],
      ["SetValue", ["cmi.interactions.1.learner_response", "12.5"], "true", "0"],
      // A choice's correct responses are distinct sets of choices; other types may repeat
      // a pattern.
      ["SetValue", ["cmi.interactions.2.id", "urn:q:3"], "true", "0"],
      ["SetValue", ["cmi.interactions.2.type", "choice"], "true", "0"],
      ["SetValue", ["cmi.interactions.2.correct_responses.0.pattern", "a[,]b"], "true", "0"],
      ["SetValue", ["cmi.interactions.2.correct_responses.1.pattern", "b[,]a"], "false", "351"],
      ["SetValue", ["cmi.interactions.2.correct_responses.1.pattern", "c"], "true", "0"],
      ["SetValue", ["cmi.interactions.3.id", "urn:q:4"], "true", "0"],
      ["SetValue", ["cmi.interactions.3.type", "fill-in"], "true", "0"],
      ["SetValue", ["cmi.interactions.3.correct_responses.0.pattern", ""], "true", "0"],
      ["SetValue", ["cmi.interactions.3.correct_responses.1.pattern", ""], "true", "0"],
      ["GetValue", ["cmi.interactions.3.correct_responses._count"], "2", "0"],
      ["SetValue", ["cmi.interactions.3.learner_response", "uri.a[.]b[,]c"], "true", "0"],
      ["SetValue", ["cmi.interactions.4.id", "urn:q:5"], "true", "0"],
      ["SetValue", ["cmi.interactions.4.type", "likert"], "true", "0"],
      ["SetValue", ["cmi.interactions.4.learner_response", "uri.a[.]b[,]c"], "false", "406"],
      ["SetValue", ["cmi.interactions.4.learner_response", "urn:lara:likert:agree"], "true", "0"],
      // A pattern's flags may follow its language; the text's length counts without them.
      ["SetValue", ["cmi.interactions.5.id", "urn:q:6"], "true", "0"],
      ["SetValue", ["cmi.interactions.5.type", "long-fill-in"], "true", "0"],
      ["SetValue", ["cmi.interactions.5.correct_responses.0.pattern", "{lang=sv}{case_matters=true}" + "x".repeat(4000)], "true", "0"],
      ["SetValue", ["cmi.interactions.5.correct_responses.0.pattern", "{lang=sv}{case_matters=true}" + "x".repeat(4001)], "false", "406"],
      ["SetValue", ["cmi.interactions.5.correct_responses.0.pattern", "{case_matters=maybe}{lang=sv}x"], "false", "406"],
      ["SetValue", ["cmi.interactions.5.correct_responses.0.pattern", "{lang=sv}{case_matters=maybe}x"], "true", "0"],
      ["GetValue", ["cmi.interactions.5.correct_responses.0.pattern"], "{lang=sv}{case_matters=maybe}x", "0"],
      ["GetValue", ["cmi.interactions._count"], "6", "0"],
      ["GetValue", ["cmi.interactions.0.correct_responses._count"], "1", "0"],
      ["GetValue", ["cmi.interactions.0.learner_response"], "true", "0"],
      ["SetValue", ["cmi.comments_from_learner.0.comment", "{lang=en}Good"], "true", "0"],
      ["SetValue", ["cmi.comments_from_learner.0.timestamp", "2026-11-23"], "true", "0"],
      ["SetValue", ["cmi.comments_from_lms.0.comment", "x"], "false", "404"],
      ["GetValue", ["adl.data._count"], "2", "0"],
      ["GetValue", ["adl.data.0.id"], "urn:notes", "0"],
      // A store given (or written) empty has nothing to read.
      ["GetValue", ["adl.data.0.store"], "", "403"],
      ["SetValue", ["adl.data.0.store", "draft"], "true", "0"],
      ["GetValue", ["adl.data.0.store"], "draft", "0"],
      ["SetValue", ["adl.data.0.store", ""], "true", "0"],
      ["GetValue", ["adl.data.0.store"], "", "403"],
      ["SetValue", ["adl.data.0.store", "shared"], "true", "0"],
      ["SetValue", ["adl.data.1.store", "x"], "false", "404"],
      ["SetValue", ["adl.data.0.id", "x"], "false", "404"],
      ["GetValue", ["adl.nav.request"], "_none_", "0"],
      ["SetValue", ["adl.nav.request", "{target=SCO2}choice"], "true", "0"],
      ["SetValue", ["adl.nav.request", "sideways"], "false", "406"],
      ["GetValue", ["adl.nav.request_valid.continue"], "true", "0"],
      ["GetValue", ["adl.nav.request_valid.previous"], "false", "0"],
      ["GetValue", ["adl.nav.request_valid.choice.{target=SCO2}"], "true", "0"],
      ["GetValue", ["adl.nav.request_valid.choice.{target=SCO9}"], "false", "0"],
      ["SetValue", ["adl.nav.request_valid.continue", "true"], "false", "404"],
      ["GetErrorString", ["408"], "Data Model Dependency Not Established", "0"],
      ["Commit", ["x"], "false", "201"],
      ["Commit", [""], "true", "0"],
      ["Terminate", [""], "true", "0"],
      ["Terminate", [""], "false", "113"],
      ["GetValue", ["cmi.location"], "", "123"],
      ["SetValue", ["cmi.location", "x"], "false", "133"],
      ["Commit", [""], "false", "143"],
      ["Initialize", [""], "false", "104"],
    ];
    const failures = [];
    for (const [fn, args, want, wantError] of cases) {
      const got = api[fn](...args);
      const error = fn === "GetErrorString" ? "0" : api.GetLastError();
      if (got !== want || error !== wantError) {
        failures.push(`${fn}(${JSON.stringify(args).slice(0, 90)}) = ${JSON.stringify(got).slice(0, 40)} error ${error}; expected ${JSON.stringify(want).slice(0, 40)} error ${wantError}`);
      }
    }
    return { failures, cases: cases.length, commits: commits.length, last: commits[commits.length - 1] };
  });
  check(outcome.failures.length === 0, outcome.failures.join("\n"));
  check(outcome.commits === 2, `expected 2 commits, got ${outcome.commits}`);
  const last = outcome.last;
  check(last.values["cmi.completion_status"] === "completed", "completion not committed");
  check(last.evaluated.completion === "incomplete" && last.evaluated.success === "passed",
    `evaluated statuses: ${JSON.stringify(last.evaluated)}`);
  check(last.arrays["cmi.interactions"][1].learner_response === "12.5", "interaction not committed");
  check(last.arrays["adl.data"][0].store === "shared", "shared data not committed");

  check(last.totalTime === "PT1H2M3.5S", `total time after terminating: ${last.totalTime}`);
  // Without a threshold or passing score (none given here), the SCO's own statuses stand.
  const resumed = await page.evaluate((state) => {
    const api = window.LaraScorm2004.create({ entry: "resume", state });
    api.Initialize("");
    const read = [api.GetValue("cmi.entry"), api.GetValue("cmi.suspend_data").length,
      api.GetValue("cmi.objectives.0.id"), api.GetValue("cmi.success_status"), api.GetValue("cmi.total_time")];
    let total = null;
    const again = window.LaraScorm2004.create({ state, commit: (s) => { total = s.totalTime; } });
    again.Initialize("");
    again.SetValue("cmi.session_time", "PT58M");
    again.Terminate("");
    return read.concat([total]);
  }, last);
  check(JSON.stringify(resumed) === JSON.stringify(["resume", 64000, "urn:obj:a", "failed", "PT1H2M3.5S", "PT2H0M3.5S"]), `resume read ${resumed}`);
  // A resumed attempt keeps its own objectives, but what the LMS gives from global objectives
  // (another SCO may have written them meanwhile) replaces the suspended values.
  const refreshed = await page.evaluate((state) => {
    const api = window.LaraScorm2004.create({
      entry: "resume",
      state,
      objectives: [{ id: "urn:obj:a", "score.scaled": "0.4", completion_status: "completed" }, { id: "urn:obj:new" }],
    });
    api.Initialize("");
    return ["cmi.objectives._count", "cmi.objectives.0.score.scaled", "cmi.objectives.0.completion_status",
      "cmi.objectives.0.description", "cmi.objectives.1.id"].map((k) => api.GetValue(k));
  }, last);
  check(JSON.stringify(refreshed) === JSON.stringify(["2", "0.4", "completed", "{lang=sv}Handhygien", "urn:obj:new"]),
    `resumed objectives: ${refreshed}`);
  return { cases: outcome.cases };
});
