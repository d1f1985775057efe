// Helpers of the SCORM 2004 sequencing scenarios (seq-*.mjs): they drive Lara's player page
// and the test SCOs of content-packages/scorm2004-seq-* (shared/sco.js in each package).
//
// Every move goes through the server: the page sends a navigation request and carries out the
// answer. `move` performs an action (a click, a SCO finishing), waits for that answer and, when
// it delivers an activity, for the new SCO to be running. Each scenario keeps a log of the
// items delivered, which it returns for the Rust side to compare with the statements.
import { check } from "./lib.mjs";

function isNavigate(response) {
  return new URL(response.url()).pathname.endsWith("/navigate") && response.request().method() === "POST";
}

async function scoFrame(page) {
  const handle = await page.waitForSelector("iframe#sco", { state: "attached" });
  return handle.contentFrame();
}

/** The load token of the SCO now in the frame (null when none is running there). */
async function scoToken(page) {
  const handle = await page.$("iframe#sco");
  const frame = handle && (await handle.contentFrame());
  if (!frame) return null;
  try {
    return await frame.evaluate(() => (window.laraTestSco ? window.laraTestSco.token : null));
  } catch {
    return null; // the frame is between documents
  }
}

export class Learner {
  constructor(page) {
    this.page = page;
    this.delivered = [];
    this.answers = [];
  }

  /** Performs `action` and waits for the navigation request it causes to be answered. */
  async move(action) {
    const page = this.page;
    const before = await scoToken(page);
    const answered = page.waitForResponse(isNavigate);
    await action();
    const answer = await (await answered).json();
    this.answers.push(answer);
    if (answer.deliver) {
      this.delivered.push(answer.deliver);
      const frame = await scoFrame(page);
      await frame.waitForFunction(
        ([id, old]) => {
          const s = window.laraTestSco;
          return !!s && s.ready && s.token !== old && s.id === id;
        },
        [answer.deliver, before],
      );
      await page.waitForSelector(`#toc button[aria-current="true"][data-id="${answer.deliver}"]`);
    } else {
      // Ended or idle: the page says so once it has carried out the answer.
      await page.waitForFunction(() => document.getElementById("message").textContent !== "");
    }
    return answer;
  }

  /** Opens the launch URL: the page's own `launch` request. */
  launch(url) {
    return this.move(() => this.page.goto(url));
  }

  /** The running SCO reports `result` (see shared/sco.js) and terminates. */
  finish(result) {
    return this.move(async () => {
      const frame = await scoFrame(this.page);
      const done = await frame.evaluate((r) => {
        const ok = window.finish(r);
        return { ok, errors: window.laraTestSco.errors };
      }, result);
      check(done.ok, `the SCO could not finish with ${JSON.stringify(result)}`);
      check(done.errors.length === 0, `the runtime refused SetValue: ${done.errors}`);
    });
  }

  /**
   * The running SCO reports `result` and terminates without a navigation request: the
   * learner decides what comes next. Waits for the page to show what sequencing allows now.
   */
  async finishHere(result) {
    const page = this.page;
    const reported = page.waitForResponse((r) => new URL(r.url()).pathname.includes("/events/") &&
      r.request().method() === "POST" && /"event":"terminate"/.test(r.request().postData() || ""));
    const frame = await scoFrame(page);
    const done = await frame.evaluate((r) => {
      const ok = window.finish(r);
      return { ok, errors: window.laraTestSco.errors };
    }, result);
    check(done.ok, `the SCO could not finish with ${JSON.stringify(result)}`);
    check(done.errors.length === 0, `the runtime refused SetValue: ${done.errors}`);
    const view = await (await reported).json();
    // The page has shown that view once the next task runs.
    await page.waitForFunction(() => document.getElementById("message").textContent !== "");
    await page.waitForTimeout(50);
    return view;
  }

  /** A click on one of the player's controls: previous, continue, suspend, exit. */
  control(id) {
    return this.move(() => this.page.click(`#${id}`));
  }

  /** A choice from the table of contents. */
  choose(identifier) {
    return this.move(() => this.page.click(`#toc button[data-id="${identifier}"]`));
  }

  /** The identifier of the SCO running now, checked against the table of contents. */
  async current() {
    const frame = await scoFrame(this.page);
    const id = await frame.evaluate(() => window.laraTestSco && window.laraTestSco.id);
    const marked = await this.page.$$eval('#toc button[aria-current="true"]', (bs) => bs.map((b) => b.dataset.id));
    check(marked.length === 1 && marked[0] === id, `the SCO is ${id} but the table of contents marks ${marked}`);
    return id;
  }

  /** A value of the running SCO's data model, read through its API. */
  async get(name) {
    const frame = await scoFrame(this.page);
    return frame.evaluate((n) => window.laraTestSco.get(n), name);
  }

  /** The table of contents: one entry per button, in order. */
  toc() {
    return this.page.$$eval("#toc button", (bs) => bs.map((b) => ({
      id: b.dataset.id,
      title: b.textContent,
      enabled: !b.disabled,
      current: b.getAttribute("aria-current") === "true",
      status: b.dataset.status || "",
    })));
  }

  /** Identifiers of the entries a choice may reach now. */
  async enabled() {
    return (await this.toc()).filter((e) => e.enabled).map((e) => e.id);
  }

  async disabled(id) {
    return this.page.isDisabled(`#${id}`);
  }

  message() {
    return this.page.textContent("#message");
  }

  /** The course's rolled-up status in the last answer. */
  course() {
    const last = this.answers[this.answers.length - 1];
    return last && last.view && last.view.course;
  }
}

/** Fails unless `actual` and `expected` have the same JSON form. */
export function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** Opens a new page of the same browser (a new launch of the same registration). */
export async function newPage(browser, watch) {
  const page = await browser.newPage();
  watch(page);
  return page;
}
