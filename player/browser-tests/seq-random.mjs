// SCORM 2004 sequencing, content-packages/scorm2004-seq-random: two of five questions are
// selected and reordered once. Only those two are shown and delivered, the course's rollup
// counts only them, and a new launch of the registration gets the same two in the same order.
// Usage: node seq-random.mjs LAUNCH_URL [toc-order]
// With `toc-order`, the table of contents must also list the two in the order flow takes
// them (the randomized order).
import { run, check } from "./lib.mjs";
import { Learner, newPage, same } from "./sequencing-lib.mjs";

const [launchUrl, mode] = process.argv.slice(2);
const pool = ["question-1", "question-2", "question-3", "question-4", "question-5"];

await run("sequencing: random selection", async (page, { browser, watch }) => {
  const learner = new Learner(page);
  await learner.launch(launchUrl);
  const toc = (await learner.toc()).map((e) => e.id);
  // The pool cluster, two questions, the results SCO.
  check(toc.length === 4 && toc[0] === "pool" && toc[3] === "results", `table of contents: ${toc}`);
  const shown = toc.slice(1, 3);
  check(shown.every((q) => pool.includes(q)) && shown[0] !== shown[1], `questions shown: ${shown}`);

  // Flow takes the learner through the selection in its (randomized) order.
  await learner.finish({ success: "passed", scaled: 1, nav: "continue" });
  await learner.finish({ success: "passed", scaled: 0.5, nav: "continue" });
  same(await learner.current(), "results", "after the pool");
  const selected = learner.delivered.slice(0, 2);
  same([...selected].sort(), [...shown].sort(), "questions delivered and questions shown");
  const end = await learner.finish({ nav: "continue" });
  check(end.sessionEnded === true, `the course did not end: ${JSON.stringify(end)}`);
  same(learner.delivered, [...selected, "results"], "delivered");
  // Only the selected questions take part in the rollup: both passed, so the pool is
  // satisfied although three of its children were never attempted.
  const course = learner.course();
  check(course.completed === true && course.satisfied === true, `course: ${JSON.stringify(course)}`);
  same((await learner.toc()).find((e) => e.id === "pool").status, "completed, passed", "the pool's status");

  // A new launch starts a new attempt on the course; selection and ordering were "once".
  await page.goto("about:blank");
  const again = new Learner(await newPage(browser, watch));
  await again.launch(launchUrl);
  same((await again.toc()).map((e) => e.id), toc, "table of contents after a new launch");
  same(await again.current(), selected[0], "first SCO after a new launch");
  await again.finish({ nav: "continue" });
  same(await again.current(), selected[1], "second SCO after a new launch");
  same(again.course().attempts, 2, "attempts on the course");

  if (mode === "toc-order") {
    same(shown, selected, "questions in the table of contents, against the order flow takes");
  }
  return { selected, shown, delivered: [...learner.delivered, ...again.delivered], course };
});
