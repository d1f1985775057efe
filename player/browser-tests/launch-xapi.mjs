// The xAPI test package launched through Lara's player: the content reads endpoint, auth,
// actor, registration and activity_id from its URL and records its statements.
// Usage: node launch-xapi.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

async function packageFrame(page) {
  const handle = await page.waitForSelector("iframe#sco");
  await page.waitForFunction(() => {
    const f = document.getElementById("sco");
    return f.contentWindow && f.contentWindow.location.pathname.endsWith("/index.html");
  });
  return handle.contentFrame();
}

await run("xapi package launch", async (page, { browser, watch }) => {
  await page.goto(launchUrl);
  const frame = await packageFrame(page);
  await frame.waitForSelector("#done");
  await frame.click("#done");
  await frame.waitForFunction(() => {
    const e = document.getElementById("status"); // null while the page is still parsing
    return !!e && e.textContent !== "";
  });
  const status = await frame.textContent("#status");
  check(status === "Recorded.", `the package says: ${status}`);
  const params = await frame.evaluate(() => Array.from(new URLSearchParams(window.location.search).keys()).sort());
  // Launched again in a new page, the package finds the bookmark it saved in the State API.
  await page.close();
  const again = await browser.newPage();
  watch(again);
  await again.goto(launchUrl);
  const resumed = await packageFrame(again);
  await resumed.waitForFunction(() => {
    const e = document.getElementById("resume"); // null while the page is still parsing
    return !!e && e.textContent !== "";
  });
  const resume = await resumed.textContent("#resume");
  check(resume.startsWith("Welcome back"), `the relaunched package says: ${resume}`);
  return { status, params, resume };
});
