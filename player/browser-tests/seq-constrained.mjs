// SCORM 2004 sequencing, content-packages/scorm2004-seq-constrained: constrained choice.
// Inside part 1 (constrainChoice) the learner may choose only within part 1 and what flow
// would reach next from it, in either direction: the introduction before it, part 2 and its
// SCOs after it. Part 4 (preventActivation) is entered by choosing part 4 itself, not one of
// its SCOs, unless it is already active.
// Usage: node seq-constrained.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";
import { Learner, same } from "./sequencing-lib.mjs";

const [launchUrl] = process.argv.slice(2);
const all = ["intro", "part-1", "p1-a", "p1-b", "part-2", "p2-a", "p2-b", "part-3", "p3-a", "part-4", "p4-a", "p4-b"];
const except = (...out) => all.filter((id) => !out.includes(id));

await run("sequencing: constrained choice", async (page) => {
  const learner = new Learner(page);
  await learner.launch(launchUrl);
  same(await learner.current(), "intro", "first SCO");
  same((await learner.toc()).map((e) => e.id), all, "table of contents");
  // Outside part 1 nothing is constrained; part 4 is not active, so its SCOs cannot be
  // chosen, but part 4 itself can.
  same(await learner.enabled(), except("p4-a", "p4-b"), "entries a choice may reach from the introduction");

  await learner.finish({ nav: "continue" });
  same(await learner.current(), "p1-a", "after the introduction");
  const inside = ["intro", "part-1", "p1-a", "p1-b", "part-2", "p2-a", "p2-b"];
  same(await learner.enabled(), inside, "entries a choice may reach inside part 1");
  same(await learner.get("adl.nav.request_valid.choice.{target=p2-b}"), "true", "request_valid.choice p2-b");
  same(await learner.get("adl.nav.request_valid.choice.{target=intro}"), "true", "request_valid.choice intro");
  same(await learner.get("adl.nav.request_valid.choice.{target=p3-a}"), "false", "request_valid.choice p3-a");

  // The SCO asks for part 3 anyway: refused, "not available" (SB.2.9-8).
  const refused = await learner.finish({ nav: "{target=p3-a}choice" });
  check(refused.exception && refused.exception.code === "SB.2.9-8", `choice of p3-a from part 1: ${JSON.stringify(refused)}`);
  const message = await learner.message();
  check(/\(SB\.2\.9-8\)/.test(message), `message: ${message}`);
  same(await learner.enabled(), inside, "entries a choice may reach after the refused choice");

  // A target next to part 1 is fine; once part 1 is left, the constraint is gone.
  await learner.choose("p2-b");
  same(await learner.current(), "p2-b", "chosen after part 1");
  same(await learner.enabled(), except("p4-a", "p4-b"), "entries a choice may reach from part 2");

  // Choosing into part 4 past its start: refused (SB.2.9-6).
  const blocked = await learner.finish({ nav: "{target=p4-b}choice" });
  check(blocked.exception && blocked.exception.code === "SB.2.9-6", `choice of p4-b from part 2: ${JSON.stringify(blocked)}`);

  // Choosing part 4 itself delivers its first SCO; inside it, its SCOs can be chosen.
  const entered = await learner.choose("part-4");
  same(entered.deliver, "p4-a", "choosing part 4");
  same(await learner.enabled(), all, "entries a choice may reach inside part 4");
  await learner.choose("p4-b");
  same(await learner.current(), "p4-b", "chosen inside part 4");
  same(learner.delivered, ["intro", "p1-a", "p2-b", "p4-a", "p4-b"], "delivered");
  return { delivered: learner.delivered, refused: [refused.exception.code, blocked.exception.code] };
});
