// The xAPI test package launched through Lara's player: the content reads endpoint, auth,
// actor, registration and activity_id from its URL and records its statements.
// Usage: node launch-xapi.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

await run("xapi package launch", async (page) => {
  await page.goto(launchUrl);
  const handle = await page.waitForSelector("iframe#sco");
  await page.waitForFunction(() => {
    const f = document.getElementById("sco");
    return f.contentWindow && f.contentWindow.location.pathname.endsWith("/index.html");
  });
  const frame = await handle.contentFrame();
  await frame.waitForSelector("#done");
  await frame.click("#done");
  await frame.waitForFunction(() => document.getElementById("status").textContent !== "");
  const status = await frame.textContent("#status");
  check(status === "Recorded.", `the package says: ${status}`);
  const params = await frame.evaluate(() => Array.from(new URLSearchParams(window.location.search).keys()).sort());
  return { status, params };
});
