// The SCORM 2004 test course through Lara's player: three SCOs chosen from the table of
// contents, a quiz that writes shared data, and a summary SCO that reads it, also after a
// new launch. Usage: node launch2004.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

async function sco(page, ready) {
  const handle = await page.waitForSelector("iframe#sco");
  const frame = await handle.contentFrame();
  await frame.waitForFunction(ready);
  return frame;
}

async function choose(page, title) {
  await page.click(`#toc button:has-text("${title}")`);
}

await run("scorm 2004 multi-SCO launch", async (page, { browser, watch }) => {
  await page.goto(launchUrl);
  const toc = await page.$$eval("#toc button", (bs) => bs.map((b) => b.textContent));
  // The table of contents shows the course's structure: the module and its SCOs.
  check(JSON.stringify(toc) === JSON.stringify(["Basics", "Welcome", "Safety quiz", "Summary"]), `table of contents: ${toc}`);

  let frame = await sco(page, () => document.getElementById("status") && document.getElementById("status").textContent === "Connected.");
  check(await page.isDisabled("#previous"), "Previous is enabled on the first SCO");
  // The SCO ends its session with adl.nav.request = continue: the player opens the next one.
  await frame.click("#done");
  await page.waitForSelector('#toc button[aria-current="true"]:has-text("Safety quiz")');
  frame = await sco(page, () => !!document.getElementById("quiz"));
  await frame.check('input[name="q1"][value="check"]');
  await frame.check('input[name="q2"][value="list"]');
  await frame.fill('input[name="note"]', "Ask Maria about the lift");
  const shared = page.waitForRequest((r) => r.url().includes("state/adl.data") && r.method() === "PUT");
  await frame.click("button[type=submit]");
  await shared;

  // The quiz also ends with continue: the summary follows, where "previous" is hidden.
  await page.waitForSelector('#toc button[aria-current="true"]:has-text("Summary")');
  frame = await sco(page, () => document.getElementById("note") && document.getElementById("note").textContent.length > 0);
  const note = await frame.textContent("#note");
  check(note === "Ask Maria about the lift", `shared data read by the summary: ${note}`);
  // The quiz's primary objective wrote the global objective the summary's objective reads.
  const safety = await frame.textContent("#safety");
  check(safety === "Safety objective: passed", `global objective read by the summary: ${safety}`);
  check(await page.isHidden("#previous"), "hideLMSUI previous is not applied");

  // The player's own buttons: back to the quiz with choice, then Exit ends the course.
  await choose(page, "Welcome");
  await page.waitForSelector('#toc button[aria-current="true"]:has-text("Welcome")');
  await page.click("#continue");
  await page.waitForSelector('#toc button[aria-current="true"]:has-text("Safety quiz")');
  // The player unloaded Welcome before ending its session: the SCO's own unload handler
  // saved its session time and terminated, and the runtime accepted all of it.
  frame = await sco(page, () => !!document.getElementById("quiz"));
  const finished = JSON.parse(await frame.evaluate(() => localStorage.getItem("laraTestSco.finished")));
  check(finished && finished.sco === "Welcome" && finished.refused.length === 0,
    `Welcome's own finish on unload: ${JSON.stringify(finished)}`);
  await page.click("#exit");
  // Exit all goes through sequencing on the server: wait for its answer.
  await page.waitForFunction(() => /left the course/.test(document.getElementById("message").textContent));
  const left = await page.textContent("#message");
  check(/left the course/.test(left), `exit message: ${left}`);

  // A new launch: shared data comes from Lara now.
  await page.goto("about:blank");
  const again = await browser.newPage();
  watch(again);
  await again.goto(launchUrl);
  await choose(again, "Summary");
  frame = await sco(again, () => document.getElementById("note") && document.getElementById("note").textContent.length > 0);
  const stored = await frame.textContent("#note");
  check(stored === "Ask Maria about the lift", `shared data after a new launch: ${stored}`);
  return { toc, note: stored };
});
