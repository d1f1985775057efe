// A SCORM 1.2 package launched through Lara's player: the SCO finds the API, its answers are
// saved, and a new launch resumes them. Usage: node launch.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

async function scoFrame(page) {
  const handle = await page.waitForSelector("iframe#sco");
  let frame = await handle.contentFrame();
  await frame.waitForFunction(() => document.getElementById("lms") && document.getElementById("lms").textContent.length > 0);
  return frame;
}

await run("scorm 1.2 launch and resume", async (page, { browser, watch }) => {
  await page.goto(launchUrl);
  let frame = await scoFrame(page);
  const lms = await frame.textContent("#lms");
  check(/recorded by your learning platform/.test(lms), `the SCO did not find the API: ${lms}`);
  check((await page.evaluate(() => window.API.LMSGetValue("cmi.core.entry"))) === "ab-initio", "first entry is not ab-initio");

  for (const [q, v] of [["q1", "b"], ["q2", "a"], ["q3", "c"]]) {
    await frame.check(`input[name="${q}"][value="${v}"]`);
  }
  const saved = page.waitForResponse((r) => r.url().includes("/events/") && r.request().method() === "POST");
  await frame.click("button[type=submit]");
  const response = await saved;
  check(response.status() === 204, `reporting the commit answered ${response.status()}`);
  check((await page.evaluate(() => window.API.LMSGetValue("cmi.core.lesson_status"))) === "passed", "not passed");

  // Leaving the page ends the session: the SCO's LMSFinish (exit=suspend) is saved with a
  // keepalive request while the page goes. A new browser page (a new session) then resumes;
  // it is retried briefly in case that last request is still landing.
  await page.goto("about:blank");
  let again = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    again = await browser.newPage();
    watch(again);
    await again.goto(launchUrl);
    frame = await scoFrame(again);
    if ((await again.evaluate(() => window.API.LMSGetValue("cmi.core.entry"))) === "resume") { break; }
    await again.close();
    again = null;
    await new Promise((r) => setTimeout(r, 250));
  }
  check(again !== null, "the relaunch never resumed: the finishing state was not saved");
  const restored = await frame.evaluate(() =>
    ["q1", "q2", "q3"].map((q) => (document.querySelector(`input[name="${q}"]:checked`) || {}).value || ""));
  check(JSON.stringify(restored) === JSON.stringify(["b", "a", "c"]), `answers not restored: ${restored}`);
  const status = await again.evaluate(() => [
    window.API.LMSGetValue("cmi.core.entry"),
    window.API.LMSGetValue("cmi.core.lesson_status"),
    window.API.LMSGetValue("cmi.core.score.raw"),
  ]);
  check(JSON.stringify(status) === JSON.stringify(["resume", "passed", "100"]), `resumed state: ${status}`);
  return { restored, status };
});
