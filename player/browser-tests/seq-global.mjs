// SCORM 2004 sequencing, content-packages/scorm2004-seq-global: module 2 is disabled until the
// check in module 1 satisfies a global objective that module 2 reads. The global objective
// outlives the session: a new launch resumes with module 2 open, and so does a new attempt
// on the course after Exit.
// Usage: node seq-global.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";
import { Learner, newPage, same } from "./sequencing-lib.mjs";

const [launchUrl] = process.argv.slice(2);
const all = ["module-1", "reading", "check", "module-2", "practice-a", "practice-b"];
const module1 = ["module-1", "reading", "check"];

await run("sequencing: global objective opens module 2", async (page, { browser, watch }) => {
  const learner = new Learner(page);
  await learner.launch(launchUrl);
  same(await learner.current(), "reading", "first SCO");
  same((await learner.toc()).map((e) => e.id), all, "table of contents");
  // The global objective is unknown: module 2 and its SCOs cannot be chosen.
  same(await learner.enabled(), module1, "entries a choice may reach at first");

  await learner.finish({ nav: "continue" });
  same(await learner.current(), "check", "after the reading");
  same(await learner.enabled(), module1, "entries a choice may reach before the check");
  // Flow cannot enter a disabled module either, and the SCO is told so.
  check(await learner.disabled("continue"), "Continue is enabled with module 2 disabled");
  same(await learner.get("adl.nav.request_valid.continue"), "false", "request_valid.continue");
  same(await learner.get("adl.nav.request_valid.choice.{target=practice-a}"), "false", "request_valid.choice practice-a");

  // A failed check writes "not satisfied" to the global objective: still disabled. The SCO
  // asks for nothing, so the learner is left to choose.
  await learner.finishHere({ success: "failed", scaled: 0.2 });
  same(await learner.message(), "Done here: continue or choose from the list.", "message after the failed check");
  same(await learner.enabled(), module1, "entries a choice may reach after the failed check");
  check(await learner.disabled("continue"), "Continue is enabled after the failed check");
  same((await learner.toc()).find((e) => e.id === "check").status, "completed, failed", "the check's status");

  // Taking the check again and passing it satisfies the global objective: module 2 opens.
  await learner.choose("check");
  same(await learner.current(), "check", "the check again");
  await learner.finishHere({ success: "passed", scaled: 1 });
  same(await learner.enabled(), all, "entries a choice may reach after the passed check");
  check(!(await learner.disabled("continue")), "Continue is disabled after the passed check");
  await learner.choose("practice-a");
  same(await learner.current(), "practice-a", "chosen from module 2");

  // A new launch (the browser was closed): the course resumes where the learner was, with
  // module 2 still open.
  await page.goto("about:blank");
  const again = new Learner(await newPage(browser, watch));
  const resumed = await again.launch(launchUrl);
  check(resumed.deliver === "practice-a" && resumed.resume === true, `relaunch: ${JSON.stringify(resumed)}`);
  same(await again.enabled(), all, "entries a choice may reach after a new launch");
  // The SCO's own view of it (the Rust side compares the attempts the statements name).
  const entry = await again.get("cmi.entry");

  // Exit ends the course's attempt; the next launch starts a new one, in which module 1's
  // own status is new but the global objective still opens module 2.
  const exited = await again.control("exit");
  check(exited.sessionEnded === true, `exit: ${JSON.stringify(exited)}`);
  const third = new Learner(await newPage(browser, watch));
  await third.launch(launchUrl);
  same(await third.current(), "reading", "first SCO of the new attempt");
  same(third.course().attempts, 2, "attempts on the course");
  same(await third.enabled(), all, "entries a choice may reach in the new attempt");
  return { delivered: [...learner.delivered, ...again.delivered, ...third.delivered], entry };
});
