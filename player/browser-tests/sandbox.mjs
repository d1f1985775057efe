// The content origin keeps package content in its sandbox.
// Usage: node sandbox.mjs CONTENT_PAGE_URL LARA_API_URL ADMIN_AUTHORIZATION
import { run, check } from "./lib.mjs";

const [pageUrl, apiUrl, adminAuth] = process.argv.slice(2);

await run("content sandbox", async (page, { violations }) => {
  // An administrator is logged in to Lara in this browser: the session cookie works there...
  await page.goto(new URL("/xapi/about", apiUrl).href);
  const session = await page.evaluate(async (auth) => {
    const opened = await fetch("/api/session", { method: "POST", headers: { Authorization: auth } });
    const listed = await fetch("/api/packages");
    return [opened.status, listed.status];
  }, adminAuth);
  check(JSON.stringify(session) === "[201,200]", `the administrator's session: ${session}`);

  // ...and never reaches the content origin: no request there carries it.
  const contentOrigin = new URL(pageUrl).origin;
  const cookies = [];
  page.on("request", async (r) => {
    if (r.url().startsWith(contentOrigin)) {
      const h = await r.allHeaders();
      if (h.cookie) { cookies.push(h.cookie); }
    }
  });
  const response = await page.goto(pageUrl);
  check(response.status() === 200, `page answered ${response.status()}`);
  check((await page.evaluate(() => document.cookie)) === "", "content can read a cookie");
  // Not even under the cookie's path: the content origin is another host.
  const own = await page.evaluate(async () => (await fetch("/api/packages", { credentials: "include" })).status);
  check(own === 404, `the content origin answered /api with ${own}`);

  // The package's own script runs under the policy (script-src 'self')...
  await page.waitForFunction(() => document.getElementById("lms").textContent.length > 0);
  const lms = await page.textContent("#lms");
  check(/No learning platform found/.test(lms), `lesson.js did not run as expected: ${lms}`);

  // ...and the page works: answer the check correctly.
  for (const [q, v] of [["q1", "b"], ["q2", "a"], ["q3", "c"]]) {
    await page.check(`input[name="${q}"][value="${v}"]`);
  }
  await page.click("button[type=submit]");
  const result = await page.textContent("#result");
  check(/3 of 3/.test(result) && /Passed/.test(result), `unexpected result: ${result}`);

  // Libraries, fonts and media from the web may load (content pulls jQuery from a CDN, say);
  // this machine has no route there, so the load fails on the network, not on the policy.
  const cdn = await page.evaluate(() => new Promise((resolve) => {
    let blocked = false;
    document.addEventListener("securitypolicyviolation", () => { blocked = true; });
    const s = document.createElement("script");
    s.src = "https://cdn.example.invalid/jquery.min.js";
    const done = () => setTimeout(() => resolve(blocked ? "blocked by policy" : "allowed"), 100);
    s.onerror = done;
    s.onload = done;
    document.head.appendChild(s);
  }));
  check(cdn === "allowed", `a script from an https CDN: ${cdn}`);

  // But it cannot reach Lara's API origin: connect-src 'self' stops the request in the browser.
  const outcome = await page.evaluate(async (url) => {
    try {
      const r = await fetch(url, { credentials: "include" });
      return `reached (${r.status})`;
    } catch (e) {
      return "blocked";
    }
  }, apiUrl);
  check(outcome === "blocked", `content reached the API origin: ${outcome}`);
  check(violations.some((v) => v.includes("connect-src")), "no connect-src violation was reported");

  // Nor can it frame Lara's origin into itself.
  const framed = await page.evaluate(async (url) => {
    const f = document.createElement("iframe");
    f.src = url;
    document.body.appendChild(f);
    await new Promise((r) => setTimeout(r, 500));
    try { return f.contentDocument ? "readable" : "opaque"; } catch (e) { return "opaque"; }
  }, apiUrl);
  check(framed === "opaque", `the API origin was readable in a frame: ${framed}`);

  check(cookies.length === 0, `the session cookie reached the content origin: ${cookies}`);
  return { lms, result, fetch: outcome, violations: violations.length, cookies: cookies.length };
});
