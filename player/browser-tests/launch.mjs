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
  // keepalive request while the page goes. Wait until Lara has it (the player page's own
  // configuration shows the saved state; fetching the page opens no SCO session), then a new
  // browser page (a new session) resumes.
  await page.goto("about:blank");
  let landed = false;
  for (let attempt = 0; attempt < 80 && !landed; attempt++) {
    const html = await (await fetch(launchUrl)).text();
    const config = /<script id="lara-config" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
    const state = config && JSON.parse(config[1]).items[0].state;
    landed = !!state && state.values && state.values["cmi.core.exit"] === "suspend";
    if (!landed) { await new Promise((r) => setTimeout(r, 250)); }
  }
  check(landed, "the finishing state was never saved");
  let again = await browser.newPage();
  watch(again);
  await again.goto(launchUrl);
  frame = await scoFrame(again);
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
