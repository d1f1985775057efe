// Third-party check, run by hand: Rustici's "golf" SCORM 2004 sample packages (published by
// Rustici Software, the vendor of the commercial SCORM engine) through Lara's player in
// Chromium. The packages are not ours and are not committed; a copy of the 3rd edition
// sequencing samples is among the test resources of jcputney/elearning-module-parser
// (src/test/resources/modules/scorm2004/Sequencing*_SCORM20043rdEdition).
//
// Usage: node golf.mjs LARA_URL KEY SECRET PACKAGES_DIR
//   LARA_URL      Lara's own origin, e.g. http://127.0.0.1:8080 (an `admin` credential)
//   PACKAGES_DIR  a folder with one zip per sample, named as the samples are
//
// Each scenario imports its package, registers a new learner, and walks the course the way a
// learner would: reading every page of a SCO (the SCO's own Next button), answering its quiz
// right or wrong, and using the player's buttons. It asserts the delivered SCOs, what the
// table of contents offers, the rolled-up course status, and that the content never saw an
// API error (the samples alert on every refused call).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run, check } from "./lib.mjs";

const [lara, key, secret, dir] = process.argv.slice(2);
const auth = "Basic " + Buffer.from(`${key}:${secret}`).toString("base64");

async function launchUrl(sample, learner) {
  const zip = readFileSync(join(dir, `${sample}.zip`));
  const imported = await (await fetch(`${lara}/api/packages`, { method: "POST", headers: { Authorization: auth }, body: zip })).json();
  check(imported.packageId, `${sample} was refused: ${JSON.stringify(imported)}`);
  const r = await fetch(`${lara}/api/registrations`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ actor: { name: learner, mbox: `mailto:${learner}@example.org` }, packageId: imported.packageId }),
  });
  return (await r.json()).launchUrl;
}

function isNavigate(r) {
  return new URL(r.url()).pathname.endsWith("/navigate") && r.request().method() === "POST";
}

class Golfer {
  constructor(page) {
    this.page = page;
    this.delivered = [];
    this.last = null;
    this.apiErrors = [];
    // The samples report a refused API call with alert() (blocked while unloading, then it
    // shows up as a console error); a resume question comes as confirm(), answered yes.
    page.on("dialog", (d) => {
      if (/Error/.test(d.message())) this.apiErrors.push(d.message());
      d.accept();
    });
    page.on("console", (m) => {
      if (/Blocked alert\('Error/.test(m.text())) this.apiErrors.push(m.text());
    });
  }

  async move(action) {
    const answered = this.page.waitForResponse(isNavigate, { timeout: 20000 });
    await action();
    this.last = await (await answered).json();
    if (this.last.deliver) {
      this.delivered.push(this.last.deliver);
      await this.sco();
    } else {
      await this.page.waitForFunction(() => document.getElementById("message").textContent !== "");
    }
    return this.last;
  }

  launch(url) { return this.move(() => this.page.goto(url)); }
  control(id) { return this.move(() => this.page.click(`#${id}`)); }
  choose(id) { return this.move(() => this.page.click(`#toc button[data-id="${id}"]`)); }

  /** The running SCO's launch page, once it has initialized and shown its first page. */
  async sco() {
    const frame = await (await this.page.waitForSelector("iframe#sco", { state: "attached" })).contentFrame();
    await frame.waitForFunction(() => typeof startTimeStamp !== "undefined" && startTimeStamp !== null &&
      !!document.getElementById("butNext"), null, { timeout: 20000 });
    return frame;
  }

  /** Reads every page of the running SCO with its own Next button (the last page completes it). */
  async read() {
    const frame = await this.sco();
    for (let i = 0; i < 20 && !(await frame.isDisabled("#butNext")); i++) {
      await frame.click("#butNext");
    }
    // The last page commits: wait until the player's table of contents shows it.
    const id = this.delivered[this.delivered.length - 1];
    await this.page.waitForSelector(`#toc button[data-id="${id}"][data-status^="completed"]`);
  }

  /** Answers the running SCO's quiz: every answer right, or none. */
  async quiz(right) {
    const frame = await this.sco();
    const quiz = await (await frame.waitForSelector("iframe#contentFrame")).contentFrame();
    await quiz.waitForSelector("input[type=button]");
    if (right) {
      for (const r of await quiz.$$(".correctAnswer input[type=radio]")) await r.check();
      for (const t of await quiz.$$(".correctAnswer input[type=text]")) {
        const text = await t.evaluate((e) => e.parentElement.textContent);
        await t.fill(/\((\d+)\)/.exec(text)[1]);
      }
    }
    await quiz.click("input[type=button]");
    await quiz.waitForSelector("text=Score:");
  }

  toc() {
    return this.page.$$eval("#toc button", (bs) => Object.fromEntries(bs.map((b) => [b.dataset.id, { enabled: !b.disabled, status: b.dataset.status || "" }])));
  }

  async enabled(id) { return (await this.toc())[id].enabled; }

  course() { return this.last.view.course; }
}

function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

async function scenario(name, sample, body) {
  await run(`golf: ${name}`, async (page) => {
    const golfer = new Golfer(page);
    const url = await launchUrl(sample, `golfer-${Math.random().toString(36).slice(2, 10)}`);
    const result = await body(golfer, url);
    same(golfer.apiErrors, [], "API errors the content reported");
    return { delivered: golfer.delivered, course: golfer.course(), ...result };
  });
}

const CONTENT = ["playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"];

// Forced order: each SCO is disabled until the one before it is satisfied (global objectives
// with read/write maps); the quiz decides the course.
await scenario("forced sequential", "SequencingForcedSequential_SCORM20043rdEdition", async (g, url) => {
  await g.launch(url);
  check(!(await g.enabled("etuqiette_item")), "Etiquette can be chosen before Playing is done");
  for (const [i, id] of CONTENT.entries()) {
    same(g.delivered[g.delivered.length - 1], id, `SCO ${i + 1}`);
    check(!(await g.enabled(CONTENT[i + 1] || "assessment_item")), `the SCO after ${id} is open too early`);
    await g.read();
    check(await g.enabled(CONTENT[i + 1] || "assessment_item"), `the SCO after ${id} stays disabled`);
    await g.control("continue");
  }
  same(g.delivered, [...CONTENT, "assessment_item"], "delivered");
  // Back to an earlier SCO by choice: it resumes where it was left (the content suspends).
  await g.choose("playing_item");
  await g.control("continue");
  same(g.delivered.slice(-2), ["playing_item", "etuqiette_item"], "choice, then continue");
  await g.choose("assessment_item");
  await g.quiz(true);
  const end = await g.control("continue");
  check(end.sessionEnded === true, `continue after the quiz: ${JSON.stringify(end)}`);
  same([g.course().completed, g.course().satisfied], [true, true], "course completed and passed");
});

// Remediation: tests after the content; a failed test sends the learner back through the
// content it covers (skip rules on satisfied objectives), then to that test only.
await scenario("simple remediation", "SequencingSimpleRemediation_SCORM20043rdEdition", async (g, url) => {
  await g.launch(url);
  for (const id of CONTENT) {
    same(g.delivered[g.delivered.length - 1], id, "content in order");
    await g.read();
    await g.control("continue");
  }
  for (const [test, right] of [["test_1", true], ["test_2", false], ["test_3", true], ["test_4", true]]) {
    same(g.delivered[g.delivered.length - 1], test, "tests in order");
    await g.quiz(right);
    await g.control("continue");
  }
  // test_4 exits the wrapper, whose post-condition retries it: only etiquette is unsatisfied.
  same(g.delivered[g.delivered.length - 1], "etuqiette_item", "remediation starts at the failed topic");
  same([g.course().completed, g.course().satisfied], [true, false], "course after the first round");
  await g.read();
  await g.control("continue");
  same(g.delivered[g.delivered.length - 1], "test_2", "then its test, test_1 skipped");
  await g.quiz(true);
  // test_4 is delivered again although passed: its own <sequencingRules> (exitParent) replace
  // the collection's (skip when satisfied), element by element, as in ADL's reference
  // implementation (ADLSeqUtilities merges an IDRef's elements only where none is local).
  await g.control("continue");
  same(g.delivered[g.delivered.length - 1], "test_4", "test_3 skipped, test_4 not");
  await g.quiz(true);
  const end = await g.control("continue");
  check(end.sessionEnded === true, `after the passed retest: ${JSON.stringify(end)}`);
  same([g.course().completed, g.course().satisfied], [true, true], "course after remediation");
});

// Pre or post test: passing the pre-test satisfies the course at once; failing it sends the
// learner through the content to the post-test, which opens once the content is completed.
await scenario("pre-test passed", "SequencingPreOrPostTestRollup_SCORM20043rdEdition", async (g, url) => {
  await g.launch(url);
  same(g.delivered, ["pretest_item"], "first SCO");
  await g.quiz(true);
  await g.control("continue");
  same(g.delivered, ["pretest_item", "playing_item"], "content follows (optional now)");
  same([g.course().completed, g.course().satisfied], [true, true], "course after the pre-test");
});

await scenario("pre-test failed, post-test passed", "SequencingPreOrPostTestRollup_SCORM20043rdEdition", async (g, url) => {
  await g.launch(url);
  await g.quiz(false);
  await g.control("continue");
  same(g.course().satisfied, false, "course after the failed pre-test");
  check(!(await g.enabled("pretest_item")), "the pre-test can be taken twice");
  for (const id of CONTENT) {
    check(!(await g.enabled("posttest_item")), `the post-test is open before ${id}`);
    await g.read();
    await g.control("continue");
  }
  same(g.delivered, ["pretest_item", ...CONTENT, "posttest_item"], "delivered");
  await g.quiz(true);
  const end = await g.control("continue");
  check(end.sessionEnded === true, `after the post-test: ${JSON.stringify(end)}`);
  same([g.course().completed, g.course().satisfied], [true, true], "course");
});

// Random test: one of four tests, drawn anew (reordered) on each attempt of the post-test,
// two attempts at most; failing both completes the course without passing it.
await scenario("random test failed twice", "SequencingRandomTest_SCORM20043rdEdition", async (g, url) => {
  await g.launch(url);
  check(!(await g.enabled("posttest_item")), "the post-test is open before the content");
  for (const id of CONTENT) {
    same(g.delivered[g.delivered.length - 1], id, "content in order");
    await g.read();
    await g.control("continue");
  }
  const tests = ["test_1", "test_2", "test_3", "test_4"];
  const first = g.delivered[g.delivered.length - 1];
  check(tests.includes(first), `first test: ${first}`);
  check(await g.page.isHidden("#suspend"), "hideLMSUI suspendAll is not applied to the test");
  // The tests are invisible: the table of contents marks where the learner is on their cluster.
  same(await g.page.$$eval('#toc button[aria-current="true"]', (bs) => bs.map((b) => b.dataset.id)), ["posttest_item"], "current entry");
  await g.quiz(false);
  await g.control("continue");
  const second = g.delivered[g.delivered.length - 1];
  check(tests.includes(second) && g.delivered.length === 6, `second attempt: ${g.delivered}`);
  await g.quiz(false);
  const end = await g.control("continue");
  check(end.sessionEnded === true, `after two failed attempts: ${JSON.stringify(end)}`);
  same([g.course().completed, g.course().satisfied], [true, false], "course");
  return { tests: [first, second] };
});
