// SCORM 2004 sequencing, content-packages/scorm2004-seq-linear: flow forward only, no choice.
// The first SCO opens by itself, nothing can be chosen or gone back to, and continuing past
// the last SCO ends the course, which is then completed.
// Usage: node seq-linear.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";
import { Learner, same } from "./sequencing-lib.mjs";

const [launchUrl] = process.argv.slice(2);

await run("sequencing: linear, forward only", async (page) => {
  const learner = new Learner(page);
  const first = await learner.launch(launchUrl);
  check(first.deliver === "part-1", `launch delivered ${first.deliver}`);
  same(await learner.current(), "part-1", "first SCO");

  // choice="false" on the root: no entry of the table of contents can be chosen.
  const toc = await learner.toc();
  same(toc.map((e) => e.id), ["part-1", "part-2", "part-3"], "table of contents");
  same(toc.map((e) => e.title), ["Part 1: Before the visit", "Part 2: At the door", "Part 3: Leaving"], "titles");
  same(await learner.enabled(), [], "entries a choice may reach");
  check(await learner.disabled("previous"), "Previous is enabled on the first SCO");
  check(!(await learner.disabled("continue")), "Continue is disabled");

  // The player's Continue ends the SCO's session for it.
  await learner.control("continue");
  same(await learner.current(), "part-2", "after Continue");
  // forwardOnly: no going back, also not from the second SCO, and the SCO is told so.
  check(await learner.disabled("previous"), "Previous is enabled under forwardOnly");
  same(await learner.get("adl.nav.request_valid.previous"), "false", "request_valid.previous");
  same(await learner.get("adl.nav.request_valid.continue"), "true", "request_valid.continue");
  same(await learner.enabled(), [], "entries a choice may reach on part 2");

  // The SCO's own adl.nav.request = continue.
  await learner.finish({ nav: "continue" });
  same(await learner.current(), "part-3", "after the SCO's continue");
  check(await learner.disabled("previous"), "Previous is enabled on the last SCO");

  // Continuing past the last SCO ends the sequencing session: nothing is delivered.
  const end = await learner.finish({ nav: "continue" });
  check(end.sessionEnded === true && !end.deliver, `continue past the end: ${JSON.stringify(end)}`);
  const frameUrl = await page.$eval("iframe#sco", (f) => f.src);
  same(frameUrl, "about:blank", "frame after the course ended");
  const message = await learner.message();
  check(/reached the end of the course\. Passed\./.test(message), `message at the end: ${message}`);
  for (const id of ["previous", "continue", "suspend", "exit"]) {
    check(await learner.disabled(id), `${id} is enabled after the course ended`);
  }

  // Every SCO ended completed (the first one without saying so: completionSetByContent is
  // false, so ending the attempt completes it), and the root rolls that up.
  const course = learner.course();
  check(course.completed === true, `course not completed: ${JSON.stringify(course)}`);
  check(course.satisfied === true, `course not satisfied: ${JSON.stringify(course)}`);
  same(course.attempts, 1, "attempts on the course");
  const status = (await learner.toc()).map((e) => e.status);
  same(status, ["completed, passed", "completed, passed", "completed, passed"], "statuses in the table of contents");
  return { delivered: learner.delivered, message, course };
});
