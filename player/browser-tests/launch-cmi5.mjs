// The cmi5 test course launched through Lara's player: the lesson AU starts in the frame, gets
// its token from the fetch URL and completes; the test AU is opened, left unfinished, and
// relaunched from a new page (its first session is abandoned), then passed.
// Usage: node launch-cmi5.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

async function auFrame(page, path) {
  const handle = await page.waitForSelector("iframe#sco");
  await page.waitForFunction((p) => {
    const f = document.getElementById("sco");
    return f.contentWindow && f.contentWindow.location.pathname.endsWith(p);
  }, path);
  return handle.contentFrame();
}

function tocButton(page, title) {
  return page.locator("#toc button", { hasText: title });
}

await run("cmi5 launch, relaunch and satisfaction", async (page, { browser, watch }) => {
  await page.goto(launchUrl);
  // The first AU starts by itself; it is enabled once its token and launch data are fetched.
  let frame = await auFrame(page, "/lesson/index.html");
  await frame.waitForSelector("#done:not([disabled])");
  await frame.click("#done");
  await frame.waitForFunction(() => document.getElementById("status").textContent === "Completed.");

  // The test AU, opened and left without an answer.
  await tocButton(page, "Test").click();
  frame = await auFrame(page, "/test/index.html");
  await frame.waitForSelector("button[type=submit]:not([disabled])");
  await page.close();

  // A new page: the player starts the lesson again (a new session), the learner opens the
  // test (its earlier session is abandoned) and passes it.
  const again = await browser.newPage();
  watch(again);
  await again.goto(launchUrl);
  await auFrame(again, "/lesson/index.html");
  await tocButton(again, "Test").click();
  frame = await auFrame(again, "/test/index.html");
  await frame.waitForSelector("button[type=submit]:not([disabled])");
  await frame.check("input[name=q1][value=current]");
  await frame.check("input[name=q2][value='5']");
  await frame.click("button[type=submit]");
  await frame.waitForFunction(() => document.getElementById("status").textContent !== "");
  const status = await frame.textContent("#status");
  check(status === "Passed.", `the test AU says: ${status}`);
  return { status };
});
