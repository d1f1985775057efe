// Shared set-up of Lara's browser tests: Debian's Chromium driven by playwright-core.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";

/** The Chromium binary: $CHROMIUM, else `command -v chromium`. Never a downloaded browser. */
export function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** Runs `body(page, browser)`; prints the result and exits non-zero on failure. */
export async function run(name, body) {
  const browser = await launch();
  const violations = [];
  const messages = [];
  try {
    const page = await browser.newPage();
    const watch = (p) => {
      p.on("console", (m) => {
        messages.push(`${m.type()}: ${m.text()}`);
        if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      p.on("pageerror", (e) => messages.push(`pageerror: ${e}`));
      p.on("requestfailed", (r) => messages.push(`requestfailed: ${r.url()} ${r.failure() && r.failure().errorText}`));
    };
    watch(page);
    const result = await body(page, { browser, violations, watch });
    console.log(JSON.stringify({ test: name, ok: true, ...result }));
  } catch (e) {
    // What the browser said helps more than the timeout alone.
    console.log(JSON.stringify({ test: name, ok: false, error: String(e && e.stack || e), messages }));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}
