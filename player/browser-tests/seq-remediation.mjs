// SCORM 2004 sequencing, content-packages/scorm2004-seq-remediation: a failed quiz exits the
// practice module (post-condition exitParent), whose post-condition retries it while it is
// not satisfied: lesson, quiz (failed), lesson, quiz (passed), wrap-up.
// Usage: node seq-remediation.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";
import { Learner, same } from "./sequencing-lib.mjs";

const [launchUrl] = process.argv.slice(2);

await run("sequencing: remediation with retry", async (page) => {
  const learner = new Learner(page);
  await learner.launch(launchUrl);
  same(await learner.current(), "lesson", "first SCO");
  same((await learner.toc()).map((e) => e.id), ["practice", "lesson", "quiz", "wrap-up"], "table of contents");

  await learner.finish({ nav: "continue" });
  same(await learner.current(), "quiz", "after the lesson");
  // The quiz fails and asks to continue: exitParent ends the module's attempt, the module is
  // not satisfied (the lesson does not count), so it is retried from its first SCO.
  const retried = await learner.finish({ success: "failed", scaled: 0.4, nav: "continue" });
  check(retried.deliver === "lesson", `after the failed quiz: ${JSON.stringify(retried)}`);
  same(await learner.get("cmi.entry"), "ab-initio", "the lesson's second attempt begins afresh");

  await learner.finish({ nav: "continue" });
  same(await learner.current(), "quiz", "after the second lesson");
  // A new attempt of the quiz: nothing of the failed one is left.
  same(await learner.get("cmi.success_status"), "unknown", "success status at the quiz's second attempt");
  same(await learner.get("cmi.entry"), "ab-initio", "entry at the quiz's second attempt");

  // Passed: the module is satisfied, its post-condition does not retry, and the quiz's
  // continue goes on past the module.
  await learner.finish({ success: "passed", scaled: 0.9, nav: "continue" });
  same(await learner.current(), "wrap-up", "after the passed quiz");
  const quiz = (await learner.toc()).find((e) => e.id === "quiz");
  same(quiz.status, "completed, passed", "the quiz's status");
  const practice = (await learner.toc()).find((e) => e.id === "practice");
  same(practice.status, "completed, passed", "the module's status");

  const end = await learner.finish({ nav: "continue" });
  check(end.sessionEnded === true, `the course did not end: ${JSON.stringify(end)}`);
  same(learner.delivered, ["lesson", "quiz", "lesson", "quiz", "wrap-up"], "delivered");
  const course = learner.course();
  check(course.completed === true && course.satisfied === true, `course: ${JSON.stringify(course)}`);
  // The quiz alone weighs in the score, and only its current attempt counts.
  same(course.measure, 0.9, "course score");
  return { delivered: learner.delivered, course };
});
