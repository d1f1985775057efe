// SCORM 2004 sequencing, content-packages/scorm2004-seq-pretest: a pre-test whose objective,
// shared through a global objective, makes flow skip the lessons. One learner passes the
// pre-test and goes straight to the final check; another fails it and takes both lessons.
// Usage: node seq-pretest.mjs PASSING_LEARNER_URL FAILING_LEARNER_URL
import { run, check } from "./lib.mjs";
import { Learner, newPage, same } from "./sequencing-lib.mjs";

const [passingUrl, failingUrl] = process.argv.slice(2);

/** Walks the course; `pretest` is what the learner scores on the pre-test. */
async function walk(page, url, pretest) {
  const learner = new Learner(page);
  await learner.launch(url);
  same(await learner.current(), "pretest", "first SCO");
  const toc = await learner.toc();
  same(toc.map((e) => e.id), ["pretest", "content", "lesson-1", "lesson-2", "final-check"], "table of contents");
  await learner.finish({ ...pretest, nav: "continue" });
  for (let n = 0; n < 5 && (await learner.current()) !== "final-check"; n += 1) {
    await learner.finish({ nav: "continue" });
  }
  same(await learner.current(), "final-check", "last SCO");
  await learner.finish({ success: "passed", scaled: 0.8, nav: "continue" });
  const end = learner.answers[learner.answers.length - 1];
  check(end.sessionEnded === true, `the course did not end: ${JSON.stringify(end)}`);
  const errors = learner.answers.filter((a) => a.exception);
  same(errors, [], "navigation requests refused");
  return learner;
}

await run("sequencing: pre-test skips content", async (page, { browser, watch }) => {
  // Passing the pre-test satisfies the global objective that the lessons' module reads:
  // its precondition rule skips it, and flow goes on to the final check.
  const passing = await walk(page, passingUrl, { success: "passed", scaled: 0.9 });
  same(passing.delivered, ["pretest", "final-check"], "delivered to the learner who passed");
  // The skipped module is left out of the rollup (ifNotSkipped) and the pre-test does not
  // count for satisfaction: the course is completed and satisfied by the final check.
  const passed = passing.course();
  check(passed.completed === true && passed.satisfied === true, `course of the learner who passed: ${JSON.stringify(passed)}`);
  // Only the final check weighs in the course's score.
  same(passed.measure, 0.8, "course score of the learner who passed");

  // Failing it: the global objective is not satisfied, the module is not skipped.
  const failing = await walk(await newPage(browser, watch), failingUrl, { success: "failed", scaled: 0.3 });
  same(failing.delivered, ["pretest", "lesson-1", "lesson-2", "final-check"], "delivered to the learner who failed");
  // The failed pre-test does not count against the course (rollupObjectiveSatisfied="false").
  const failed = failing.course();
  check(failed.completed === true && failed.satisfied === true, `course of the learner who failed: ${JSON.stringify(failed)}`);
  same(failed.measure, 0.8, "course score of the learner who failed");
  return {
    passing: { delivered: passing.delivered, course: passed },
    failing: { delivered: failing.delivered, course: failed },
  };
});
