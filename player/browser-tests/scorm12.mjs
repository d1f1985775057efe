// The SCORM 1.2 runtime (player/runtime/scorm12.js) in Chromium: every call, data type, access
// rule and error code a SCO relies on. Usage: node scorm12.mjs
import { fileURLToPath } from "node:url";
import { run, check } from "./lib.mjs";

const runtime = fileURLToPath(new URL("../runtime/scorm12.js", import.meta.url));

await run("scorm 1.2 runtime", async (page) => {
  await page.setContent("<!DOCTYPE html><html><body></body></html>");
  await page.addScriptTag({ path: runtime });
  const outcome = await page.evaluate(() => {
    const commits = [];
    const api = window.LaraScorm12.create({
      learnerId: "learner-1",
      learnerName: "Doe, Jane",
      entry: "ab-initio",
      launchData: "mode=exam",
      masteryScore: 80,
      commit: (s) => commits.push(s),
    });
    const log = [];
    // [function, args, expected result, expected error code]
    const cases = [
      ["LMSGetValue", ["cmi.core.student_id"], "", "301"],
      ["LMSSetValue", ["cmi.core.lesson_location", "p1"], "false", "301"],
      ["LMSInitialize", ["x"], "false", "201"],
      ["LMSInitialize", [""], "true", "0"],
      ["LMSInitialize", [""], "false", "101"],
      ["LMSGetValue", ["cmi._version"], "3.4", "0"],
      ["LMSGetValue", ["cmi.core.student_id"], "learner-1", "0"],
      ["LMSGetValue", ["cmi.core.student_name"], "Doe, Jane", "0"],
      ["LMSGetValue", ["cmi.core.lesson_status"], "not attempted", "0"],
      ["LMSGetValue", ["cmi.core.entry"], "ab-initio", "0"],
      ["LMSGetValue", ["cmi.launch_data"], "mode=exam", "0"],
      ["LMSGetValue", ["cmi.student_data.mastery_score"], "80", "0"],
      ["LMSGetValue", ["cmi.core._children"], "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time", "0"],
      ["LMSGetValue", ["cmi.core.score._children"], "raw,min,max", "0"],
      ["LMSGetValue", ["cmi.core.student_id._children"], "", "202"],
      ["LMSGetValue", ["cmi.core._count"], "", "203"],
      ["LMSGetValue", ["cmi.nothing.here"], "", "201"],
      ["LMSGetValue", ["cmi.core.exit"], "", "404"],
      ["LMSGetValue", ["cmi.core.session_time"], "", "404"],
      ["LMSSetValue", ["cmi.core.student_id", "x"], "false", "403"],
      ["LMSSetValue", ["cmi.core._children", "x"], "false", "402"],
      ["LMSSetValue", ["cmi.objectives._count", "3"], "false", "402"],
      ["LMSSetValue", ["cmi.core.lesson_status", "not attempted"], "false", "405"],
      ["LMSSetValue", ["cmi.core.lesson_status", "done"], "false", "405"],
      ["LMSSetValue", ["cmi.core.lesson_status", "incomplete"], "true", "0"],
      ["LMSGetValue", ["cmi.core.lesson_status"], "incomplete", "0"],
      ["LMSSetValue", ["cmi.core.score.raw", "85.5"], "true", "0"],
      ["LMSSetValue", ["cmi.core.score.raw", "eighty"], "false", "405"],
      ["LMSSetValue", ["cmi.core.score.raw", ""], "true", "0"],
      ["LMSSetValue", ["cmi.core.score.max", "150"], "true", "0"],
      ["LMSSetValue", ["cmi.core.exit", "suspend"], "true", "0"],
      ["LMSSetValue", ["cmi.core.exit", "pause"], "false", "405"],
      ["LMSSetValue", ["cmi.core.session_time", "0000:12:30.5"], "true", "0"],
      ["LMSSetValue", ["cmi.core.session_time", "12:30"], "false", "405"],
      ["LMSSetValue", ["cmi.suspend_data", "x".repeat(64000)], "true", "0"],
      ["LMSSetValue", ["cmi.suspend_data", "x".repeat(64001)], "false", "405"],
      ["LMSSetValue", ["cmi.student_preference.audio", "101"], "false", "405"],
      ["LMSSetValue", ["cmi.student_preference.audio", "-1"], "true", "0"],
      ["LMSSetValue", ["cmi.student_preference.text", "1"], "true", "0"],
      ["LMSSetValue", ["cmi.objectives.1.id", "obj-b"], "false", "201"],
      ["LMSSetValue", ["cmi.objectives.0.id", "obj-a"], "true", "0"],
      ["LMSSetValue", ["cmi.objectives.0.id", "has space"], "false", "405"],
      ["LMSSetValue", ["cmi.objectives.0.status", "passed"], "true", "0"],
      ["LMSSetValue", ["cmi.objectives.0.score.raw", "7"], "true", "0"],
      ["LMSGetValue", ["cmi.objectives._count"], "1", "0"],
      ["LMSGetValue", ["cmi.objectives.0.status"], "passed", "0"],
      ["LMSGetValue", ["cmi.objectives.0.score._children"], "raw,min,max", "0"],
      ["LMSGetValue", ["cmi.objectives.5.status"], "", "201"],
      ["LMSSetValue", ["cmi.interactions.0.id", "q1"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.type", "choice"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.type", "essay"], "false", "405"],
      ["LMSSetValue", ["cmi.interactions.0.student_response", "b"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.result", "wrong"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.result", "0.5"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.time", "14:05:09"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.time", "25:00:00"], "false", "405"],
      ["LMSSetValue", ["cmi.interactions.0.correct_responses.0.pattern", "a"], "true", "0"],
      ["LMSSetValue", ["cmi.interactions.0.correct_responses.2.pattern", "c"], "false", "201"],
      ["LMSSetValue", ["cmi.interactions.0.objectives.0.id", "obj-a"], "true", "0"],
      ["LMSGetValue", ["cmi.interactions._count"], "1", "0"],
      ["LMSGetValue", ["cmi.interactions.0.correct_responses._count"], "1", "0"],
      ["LMSGetValue", ["cmi.interactions.0.objectives._count"], "1", "0"],
      ["LMSGetValue", ["cmi.interactions.0.id"], "", "404"],
      ["LMSGetValue", ["cmi.interactions.0.objectives.0.id"], "", "404"],
      ["LMSGetErrorString", ["405"], "Incorrect data type", "0"],
      ["LMSCommit", ["x"], "false", "201"],
      ["LMSCommit", [""], "true", "0"],
      ["LMSFinish", [""], "true", "0"],
      ["LMSGetValue", ["cmi.core.lesson_status"], "", "301"],
      ["LMSCommit", [""], "false", "301"],
    ];
    for (const [fn, args, want, wantError] of cases) {
      const got = api[fn](...args);
      const error = fn === "LMSGetErrorString" ? "0" : api.LMSGetLastError();
      if (got !== want || error !== wantError) {
        log.push(`${fn}(${JSON.stringify(args).slice(0, 80)}) = ${JSON.stringify(got).slice(0, 40)} error ${error}; expected ${JSON.stringify(want).slice(0, 40)} error ${wantError}`);
      }
    }
    const last = commits[commits.length - 1];
    return { failures: log, commits: commits.length, cases: cases.length, last };
  });
  check(outcome.failures.length === 0, outcome.failures.join("\n"));
  check(outcome.commits === 2, `expected 2 commits (LMSCommit and LMSFinish), got ${outcome.commits}`);
  const v = outcome.last.values;
  check(v["cmi.core.lesson_status"] === "incomplete" && v["cmi.core.exit"] === "suspend", "state not committed");
  check(outcome.last.interactions[0].correct_responses[0] === "a", "interaction not committed");
  check(outcome.last.objectives[0].id === "obj-a", "objective not committed");

  // Resuming: a runtime created from the committed state reads it back.
  check(outcome.last.totalTime === "0000:12:30.50", `total time after finishing: ${outcome.last.totalTime}`);
  const resumed = await page.evaluate((state) => {
    const api = window.LaraScorm12.create({ entry: "resume", state });
    api.LMSInitialize("");
    const read = [api.LMSGetValue("cmi.core.entry"), api.LMSGetValue("cmi.suspend_data").length,
      api.LMSGetValue("cmi.objectives._count"), api.LMSGetValue("cmi.core.lesson_status"),
      api.LMSGetValue("cmi.core.total_time")];
    // A second session adds to the total.
    api.LMSSetValue("cmi.core.session_time", "0001:00:00");
    let total = null;
    const again = window.LaraScorm12.create({ state, commit: (s) => { total = s.totalTime; } });
    again.LMSInitialize("");
    again.LMSSetValue("cmi.core.session_time", "0001:00:00");
    again.LMSFinish("");
    return read.concat([total]);
  }, outcome.last);
  check(JSON.stringify(resumed) === JSON.stringify(["resume", 64000, "1", "incomplete", "0000:12:30.50", "0001:12:30.50"]), `resume read ${resumed}`);

  // What the LMS decides at LMSFinish: an unset status becomes completed (browsed in browse
  // mode); with credit, the mastery score judges a raw score, unless the SCO said incomplete.
  const finished = await page.evaluate(() => {
    function finish(options, calls) {
      let last = null;
      const api = window.LaraScorm12.create(Object.assign({ commit: (s) => { last = s; } }, options));
      api.LMSInitialize("");
      calls.forEach((c) => api.LMSSetValue(c[0], c[1]));
      api.LMSFinish("");
      return last.values["cmi.core.lesson_status"];
    }
    return [
      finish({}, []),
      finish({ mode: "browse", credit: "no-credit" }, []),
      finish({ masteryScore: 80 }, [["cmi.core.score.raw", "85"]]),
      finish({ masteryScore: 80 }, [["cmi.core.lesson_status", "completed"], ["cmi.core.score.raw", "60"]]),
      finish({ masteryScore: 80 }, [["cmi.core.lesson_status", "incomplete"], ["cmi.core.score.raw", "95"]]),
      finish({ masteryScore: 80, credit: "no-credit" }, [["cmi.core.lesson_status", "completed"], ["cmi.core.score.raw", "10"]]),
      finish({}, [["cmi.core.lesson_status", "failed"], ["cmi.core.score.raw", "95"]]),
    ];
  });
  check(JSON.stringify(finished) === JSON.stringify(["completed", "browsed", "passed", "failed", "incomplete", "completed", "failed"]),
    `statuses after LMSFinish: ${finished}`);
  return { cases: outcome.cases };
});
