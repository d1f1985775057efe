// A one-SCO SCORM 2004 course through Lara's player: the SCO ending its session without a
// navigation request ends the course, or suspends it when the SCO said cmi.exit = suspend;
// the next launch then resumes it. Usage: node single-sco.mjs LAUNCH_URL
import { run, check } from "./lib.mjs";

const [launchUrl] = process.argv.slice(2);

async function sco(page) {
  const handle = await page.waitForSelector("iframe#sco");
  const frame = await handle.contentFrame();
  await frame.waitForFunction(() => document.getElementById("entry") && document.getElementById("entry").textContent !== "");
  return frame;
}

async function message(page, pattern) {
  await page.waitForFunction(
    (p) => new RegExp(p).test(document.getElementById("message").textContent),
    pattern.source,
  );
  return page.textContent("#message");
}

await run("scorm 2004 one-SCO course", async (page, { browser, watch }) => {
  await page.goto(launchUrl);
  let frame = await sco(page);
  const first = await frame.textContent("#entry");
  check(first === "ab-initio", `first entry: ${first}`);
  // The SCO saves the largest suspend data SCORM 2004 allows (64,000 characters, more than a
  // browser lets a keepalive request carry), suspends itself and ends its session: the course
  // is suspended.
  const saved = await frame.evaluate(() => window.parent.API_1484_11.SetValue("cmi.suspend_data", "é".repeat(64000)));
  check(saved === "true", `suspend data refused: ${saved}`);
  await frame.evaluate(() => window.finish("suspend"));
  const suspended = await message(page, /^Suspended/);

  const again = await browser.newPage();
  watch(again);
  await again.goto(launchUrl);
  frame = await sco(again);
  const second = await frame.textContent("#entry");
  check(second === "resume", `entry after the suspension: ${second}`);
  const data = await frame.evaluate(() => window.parent.API_1484_11.GetValue("cmi.suspend_data"));
  check(data === "é".repeat(64000), `suspend data after the suspension: ${data.length} characters`);
  // Now it finishes normally: the course is over.
  await frame.evaluate(() => window.finish("normal"));
  const left = await message(again, /left the course/);
  return { first, second, suspended, left };
});
