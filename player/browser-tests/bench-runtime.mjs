// Benchmark (not a test): 10,000 SetValue calls on each SCORM runtime in Chromium, answered in
// the page with no network round trip per call. Usage: node bench-runtime.mjs
import { fileURLToPath } from "node:url";
import { launch } from "./lib.mjs";

const runtimes = {
  "SCORM 1.2": ["../runtime/scorm12.js", "LaraScorm12", "LMSInitialize", "LMSSetValue", "LMSCommit", "cmi.core.lesson_location", "cmi.interactions"],
  "SCORM 2004": ["../runtime/scorm2004.js", "LaraScorm2004", "Initialize", "SetValue", "Commit", "cmi.location", "cmi.interactions"],
};

const browser = await launch();
const page = await browser.newPage();
await page.setContent("<!DOCTYPE html><html><body></body></html>");
for (const [name, [file]] of Object.entries(runtimes)) {
  await page.addScriptTag({ path: fileURLToPath(new URL(file, import.meta.url)) });
}
for (const [name, [, global, init, set, commit, scalar, interactions]] of Object.entries(runtimes)) {
  const result = await page.evaluate(({ global, init, set, commit, scalar, interactions }) => {
    let commits = 0;
    const api = window[global].create({ commit: () => { commits++; } });
    api[init]("");
    const t0 = performance.now();
    for (let i = 0; i < 10000; i++) {
      api[set](scalar, "page-" + i);
    }
    const scalarMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 2500; i++) {
      const n = interactions + "." + i + ".";
      api[set](n + "id", "q" + i);
      api[set](n + "type", "choice");
      api[set](n + "result", "neutral");
      api[set](n + "latency", global === "LaraScorm12" ? "0000:00:01" : "PT1S");
    }
    const interactionMs = performance.now() - t1;
    const t2 = performance.now();
    api[commit]("");
    const commitMs = performance.now() - t2;
    return { scalarMs, interactionMs, commitMs, commits };
  }, { global, init, set, commit, scalar, interactions });
  console.log(`${name}: 10,000 SetValue on one element ${result.scalarMs.toFixed(1)} ms ` +
    `(${(result.scalarMs / 10).toFixed(2)} µs each); 10,000 SetValue creating 2,500 interactions ` +
    `${result.interactionMs.toFixed(1)} ms; Commit of that model ${result.commitMs.toFixed(1)} ms`);
}
await browser.close();
