// Third-party check, run by hand: the LMS tests of ADL's SCORM 2004 4th edition conformance
// test suite (adlnet/SCORM-2004-4ed-Test-Suite), replayed through Lara's player in Chromium.
// The suite is not ours and is not committed; `fetch` brings a copy. Its test SCOs log through
// a Java applet that no browser runs now, so this script plays their part: every SCO of a
// test package is replaced by a stand-in page (written here), and the script makes, from
// outside, the API calls the test case lists for each visit, checks what Lara answers, checks
// which activity Lara delivers next, and carries out the tester's instructions (Continue,
// Previous, a choice in the table of contents, Exit, Suspend All, relaunch).
//
// Usage: node cts.mjs LARA_URL KEY SECRET SUITE_DIR [TEST ...]
//   LARA_URL   Lara's own origin, e.g. http://127.0.0.1:8080 (an `admin` credential)
//   SUITE_DIR  the suite's `software_development` folder
//   TEST       test case names (CM-01, SX-04a, ...); all of them when none is given
// Prints one JSON line per test case and a summary; exits non-zero when a test case failed.
//
// What is checked, as ADL's evaluator does (TestCaseEvaluator): each call's return value
// (compared by type: numbers as numbers, durations as durations) and the error code after it;
// the activity of each visit, in order; after the last visit, that nothing more is delivered.
// `adl.nav.request_valid.*` answers are checked as ADL checks them (any of true, false,
// unknown) and, separately, against the value the test case gives, reported as `strict`.
// The table of contents and controls questions (UIQ/UIA) are answered from the player page and
// reported under `ui`; they do not fail a test case because the questions leave room (a
// control hidden by adlnav:hideLMSUI, say).
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync, rmSync, mkdtempSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { launch } from "./lib.mjs";

const [lara, key, secret, suite, ...only] = process.argv.slice(2);
if (!suite) {
  console.error("usage: node cts.mjs LARA_URL KEY SECRET SUITE_DIR [TEST ...]");
  process.exit(2);
}
const auth = "Basic " + Buffer.from(`${key}:${secret}`).toString("base64");
const courses = join(suite, "TestSuite/LMSRTE/Courses");
const resources = join(suite, "resources/org/adl/testsuite/rte/lms/util/resources");
const DELIVERY_TIMEOUT = Number(process.env.CTS_TIMEOUT_MS || 8000);
const QUIET_AFTER_END = 1500;

// ---- The suite's files -----------------------------------------------------------------

/** Key/value pairs of a .properties file, in file order (continuations joined). */
function properties(path) {
  const lines = readFileSync(path, "latin1").split(/\r?\n/);
  const pairs = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i];
    if (line.trim() === "" || /^\s*[#!]/.test(line) || line.includes("####")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1)]);
  }
  return pairs;
}

function unicode(s) {
  return s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// The suite's abbreviations (c = cmi, X = exit, N.c = continue, ...), read from its own file.
const table = new Map(properties(join(resources, "Commands.properties")).map(([k, v]) => [k, v.trim()]));
const word = (k) => (table.has(k) ? table.get(k) : k);
const target = (id) => word("tar").replace("%s", id);

/** One test case: its instructions and its visits in delivery order. */
function testCase(name) {
  const info = {};
  const visits = [];
  for (const [k, v] of properties(join(courses, "TestCases", `${name}.properties`))) {
    const m = /^Act(.+?)V(\d+)\.(\w+)/.exec(k);
    if (!m) {
      info[k] = v;
      continue;
    }
    const id = `Act${m[1]}V${m[2]}`;
    let visit = visits[visits.length - 1];
    if (!visit || visit.id !== id) {
      visit = { id, act: m[1], n: Number(m[2]), commands: [], uiq: "", uia: "", cui: "" };
      visits.push(visit);
    }
    if (m[3] === "commands") visit.commands.push(decode(unicode(v)));
    else if (m[3] === "UIQ") visit.uiq = v;
    else if (m[3] === "UIA") visit.uia = v;
    else if (m[3] === "CUI") visit.cui = v;
  }
  return { name, info, visits };
}

/** An element name: `c~OB~&obj1&~SS` is cmi.objectives.&obj1&.success_status. */
function element(code) {
  const parts = code.split("~");
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "tar" && i + 1 < parts.length) {
      // request_valid.choice.{target=ID}
      out.push(target(parts[++i]));
    } else {
      out.push(word(parts[i]));
    }
  }
  return out.join(".").replace(/\.(\{target=)/, ".$1");
}

/** A command line of a test case, as the call to make and what must come back. */
function decode(line) {
  const f = line.split("->");
  const op = f[0];
  const last = f[f.length - 1];
  const expected = f.length >= 4 ? f[f.length - 2] : "";
  switch (op) {
    case "I":
      return { op: "Initialize", arg: element(f[1] || ""), expect: word(expected), error: last, line };
    case "C":
      return { op: "Commit", arg: element(f[1] || ""), expect: word(expected), error: last, line };
    case "T":
      return { op: "Terminate", arg: element(f[1] || ""), expect: word(expected), error: last, line };
    case "GET": {
      const raw = f[1];
      const name = element(raw.replace(/!.*$/, ""));
      const special = /(^|~)(LN|LI)$/.test(raw) ? raw.split("~").pop() : null;
      return { op: "GetValue", arg: name, expect: table.get(expected) ? table.get(expected) : expected, error: last, special, line };
    }
    case "SET": {
      const spec = f[1];
      const bang = spec.indexOf("!");
      const name = element(spec.slice(0, bang));
      const rawValue = spec.slice(bang + 1);
      let value;
      if (name === "adl.nav.request" && rawValue.includes("~")) {
        const [t, id, kind] = rawValue.split("~");
        value = (t === "tar" ? target(id) : word(t)) + word(kind);
      } else {
        value = word(rawValue);
      }
      return { op: "SetValue", arg: name, value, expect: word(expected), error: last, line };
    }
    case "GES":
      return { op: "GetErrorString", arg: f[1], expect: expected, error: last, line };
    case "GeDi":
      return { op: "GetDiagnostic", arg: f[1], expect: expected, error: last, line };
    case "GLE":
      return { op: "GetLastError", arg: "", expect: expected, error: last, line };
    case "COI":
      return { op: "objectiveIds", ids: f[1].split(","), line };
    default:
      // One line of ADL's DMI test case lacks its command name; ADL's parser skips such lines.
      return { op: "skip", line };
  }
}

// ---- Packages --------------------------------------------------------------------------

/** The file names of SCO stand-ins that act on unload, as the suite's SCOs of those names do. */
const UNLOAD = {
  "exitAllOnUnload.htm": { request: "exitAll" },
  "suspendAllOnUnload.htm": { request: "suspendAll" },
  "tarAct4OnUnload.htm": { request: "{target=activity_4}choice" },
  "SequencingTestSingleDoTerminate.htm": { request: "" },
};

function standIn(file, sco) {
  const unload = UNLOAD[basename(file)];
  const never = /Fail\.htm$/.test(file);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stand-in SCO</title>
<script>
(function () {
  var q = new URLSearchParams(location.search);
  function api() {
    for (var w = window, i = 0; w && i < 12; i++) {
      if (w.API_1484_11) { return w.API_1484_11; }
      if (w.parent === w) { break; }
      w = w.parent;
    }
    return null;
  }
  var sco = window.ctsSco = {
    tc: q.get("tc"), act: q.get("act"), file: ${JSON.stringify(basename(file))},
    never: ${never}, sco: ${sco}, token: Math.random().toString(36).slice(2), api: api,
    onUnload: ${JSON.stringify(unload || null)}, armed: false, left: false
  };
  function leave() {
    if (sco.left || !sco.armed || !sco.onUnload) { return; }
    sco.left = true;
    var a = api();
    if (sco.onUnload.request) { a.SetValue("adl.nav.request", sco.onUnload.request); }
    a.Terminate("");
  }
  window.addEventListener("pagehide", leave);
  window.addEventListener("unload", leave);
})();
</script></head>
<body><p>Stand-in for ${basename(file)}</p></body></html>
`;
}

/** Zips a test package: its manifest, stand-ins for its SCOs, placeholders for the rest. */
async function packageZip(page, name) {
  const manifest = readFileSync(join(courses, `LMSTestPackage_${name}`, "imsmanifest.xml"), "utf8");
  const parsed = await page.evaluate((xml) => {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const XMLNS = "http://www.w3.org/XML/1998/namespace";
    const ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3";
    const base = (el) => (el && el.getAttributeNS(XMLNS, "base")) || "";
    const out = [];
    const items = [...doc.getElementsByTagNameNS("*", "item")].map((i) => ({
      id: i.getAttribute("identifier"),
      title: ([...i.children].find((c) => c.localName === "title") || {}).textContent || "",
    }));
    for (const r of doc.getElementsByTagNameNS("*", "resource")) {
      const prefix = base(r.parentNode) + base(r);
      const sco = (r.getAttributeNS(ADLCP, "scormType") || r.getAttribute("adlcp:scormType") || "").toLowerCase() === "sco";
      if (r.getAttribute("href")) out.push({ path: prefix + r.getAttribute("href").split("?")[0], launch: true, sco });
      for (const f of r.getElementsByTagNameNS("*", "file")) out.push({ path: prefix + f.getAttribute("href"), sco: false });
    }
    return { files: out, items };
  }, manifest);
  titles.set(name, new Map(parsed.items.map((i) => [i.title.trim(), i.id])));
  const files = parsed.files;
  const dir = mkdtempSync(join(tmpdir(), `cts-${name}-`));
  writeFileSync(join(dir, "imsmanifest.xml"), manifest);
  // Every launchable resource gets a stand-in; an asset's never calls the API.
  const launched = new Map(files.filter((f) => f.launch).map((f) => [f.path, f.sco]));
  for (const f of files) {
    const path = join(dir, decodeURIComponent(f.path));
    if (!path.startsWith(dir + "/") || existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, launched.has(f.path) ? standIn(f.path, launched.get(f.path)) : `placeholder for ${f.path}\n`);
  }
  const zip = `${dir}.zip`;
  const entries = readdirSync(dir);
  execFileSync("python3", ["-m", "zipfile", "-c", zip, ...entries], { cwd: dir });
  const body = readFileSync(zip);
  rmSync(dir, { recursive: true });
  rmSync(zip);
  return body;
}

const RUN_LEARNER = `cts-${Date.now().toString(36)}`;
const imported = new Map();
/** Item identifiers of each package by title. */
const titles = new Map();
const ROOT = /^the activity that corresponds to the root/;

async function launchUrl(page, pkg, learner) {
  if (!imported.has(pkg)) {
    const zip = await packageZip(page, pkg);
    const r = await fetch(`${lara}/api/packages`, { method: "POST", headers: { Authorization: auth }, body: zip });
    const body = await r.json();
    if (!body.packageId) throw new Error(`package ${pkg} was refused: ${JSON.stringify(body)}`);
    imported.set(pkg, body.packageId);
  }
  const r = await fetch(`${lara}/api/registrations`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({
      actor: { name: learner, account: { homePage: "https://cts.example.org", name: learner } },
      packageId: imported.get(pkg),
    }),
  });
  return (await r.json()).launchUrl;
}

// ---- Comparing values ------------------------------------------------------------------

function seconds(duration) {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x || 0));
  return (((y * 365 + mo * 30 + d) * 24 + h) * 60 + mi) * 60 + s;
}

function sameValue(expected, actual) {
  if (expected === actual) return true;
  // A localized string in the default language equals the same text without the tag, as
  // ADL's comparison has it.
  // So does a pattern with the default {case_matters=false} / {order_matters=true}.
  // Leading delimiters count in any order (ADL's run-time writes them back in its own order).
  const bare = (x) => {
    if (typeof x !== "string") return x;
    const found = [];
    let rest = x;
    let m;
    while ((m = /^\{(case_matters|order_matters|lang)=([^}]*)\}/.exec(rest))) {
      const d = `${m[1]}=${m[2]}`;
      if (d !== "case_matters=false" && d !== "order_matters=true" && d !== "lang=en") found.push(d);
      rest = rest.slice(m[0].length);
    }
    return found.sort().map((d) => `{${d}}`).join("") + rest;
  };
  if (bare(expected) === bare(actual)) return true;
  if (actual === null || actual === undefined) return false;
  const num = /^-?\d+(\.\d+)?$/;
  if (num.test(expected) && num.test(actual)) return Number(expected) === Number(actual);
  const a = seconds(expected);
  const b = seconds(actual);
  if (a !== null && b !== null) return Math.abs(a - b) < 0.005;
  return false;
}

/** Checks one call's outcome the way ADL's evaluator does; returns failure texts. */
function evaluate(c, got, learner) {
  const fails = [];
  const strict = [];
  if (c.op === "skip") return { fails, strict };
  const err = (e) => {
    if (e !== c.error) fails.push(`${c.line}: ${c.op}(${c.arg}) error ${e}, expected ${c.error}`);
  };
  if (c.op === "objectiveIds") {
    const ids = got.ids;
    if (ids.length !== c.ids.length || !c.ids.every((id) => ids.includes(id))) {
      fails.push(`${c.line}: objective ids ${JSON.stringify(ids)}, expected ${JSON.stringify(c.ids)}`);
    }
    return { fails, strict };
  }
  const v = got.value;
  if (got.missingObjective) {
    fails.push(`${c.line}: no objective or data with the id ${got.missingObjective}`);
    return { fails, strict };
  }
  if (c.op === "GetValue" && c.special === "LN") {
    err(got.error); // ADL checks only the error code of learner_name
  } else if (c.op === "GetValue" && c.special === "LI") {
    if (!v) fails.push(`${c.line}: cmi.learner_id is empty`);
    err(got.error);
  } else if (c.op === "GetValue" && c.arg.startsWith("cmi.comments_from_lms") && !c.arg.endsWith("_children")) {
    // Comments from the LMS are up to the LMS: any value, or no such comment.
    if (!["0", "301", "403"].includes(got.error) && !(c.arg === "cmi.comments_from_lms" && got.error === "401")) {
      fails.push(`${c.line}: GetValue(${c.arg}) error ${got.error}`);
    }
  } else if (c.op === "GetValue" && c.arg.endsWith("._children") && c.expect !== "") {
    const set = (x) => (x || "").split(",").sort().join(",");
    if (set(v) !== set(c.expect)) fails.push(`${c.line}: GetValue(${c.arg}) = ${JSON.stringify(v)}, expected ${JSON.stringify(c.expect)}`);
    err(got.error);
  } else if (c.op === "GetValue" && /request_valid\.(choice|jump)/.test(c.arg)) {
    if (!["true", "false", "unknown"].includes(v)) fails.push(`${c.line}: ${c.arg} = ${JSON.stringify(v)}`);
    if (v !== c.expect) strict.push(`${c.arg} = ${v}, the test case says ${c.expect}`);
  } else if (c.op === "GetValue" && c.expect !== "" && !c.arg.includes("_count")) {
    if (/request_valid/.test(c.arg)) {
      if (!["true", "false", "unknown"].includes(v)) fails.push(`${c.line}: ${c.arg} = ${JSON.stringify(v)}`);
      if (v !== c.expect) strict.push(`${c.arg} = ${v}, the test case says ${c.expect}`);
    } else if (!sameValue(c.expect, v)) {
      fails.push(`${c.line}: GetValue(${c.arg}) = ${JSON.stringify(v)}, expected ${JSON.stringify(c.expect)}`);
    }
    err(got.error);
  } else if (c.op === "GetValue" && c.arg.includes("&") && c.arg.endsWith(".id")) {
    const id = c.arg.split("&")[1];
    if (v !== id) fails.push(`${c.line}: GetValue(${c.arg}) = ${JSON.stringify(v)}, expected ${JSON.stringify(id)}`);
    err(got.error);
  } else if (c.op === "GetErrorString" || c.op === "GetDiagnostic") {
    const ok = c.expect === "less255" ? v.length < 255 : c.expect === "emptyCS" ? v === "" : v === c.expect;
    if (!ok) fails.push(`${c.line}: ${c.op}(${c.arg}) = ${JSON.stringify(v)}, expected ${c.expect}`);
    err(got.error);
  } else {
    const same = c.op === "GetValue" && typeof v === "string" && (v.startsWith("{") || c.expect.startsWith("{")) ? sameValue(c.expect, v) : v === c.expect;
    if (!same) fails.push(`${c.line}: ${c.op}(${c.arg}${c.value !== undefined ? ", " + JSON.stringify(c.value) : ""}) = ${JSON.stringify(v)}, expected ${JSON.stringify(c.expect)}`);
    err(got.error);
  }
  void learner;
  return { fails, strict };
}

// ---- Driving the player ----------------------------------------------------------------

/** Makes a visit's calls in the SCO's frame, through the runtime's API, as the suite's SCO does. */
function callAll(frame, commands) {
  return frame.evaluate((cmds) => {
    const api = window.ctsSco.api();
    const indexOf = (collection, id) => {
      const n = Number(api.GetValue(`${collection}._count`)) || 0;
      for (let i = 0; i < n; i++) if (api.GetValue(`${collection}.${i}.id`) === id) return i;
      return -1;
    };
    return cmds.map((c) => {
      if (c.op === "skip") return {};
      if (c.op === "objectiveIds") {
        const n = Number(api.GetValue("cmi.objectives._count")) || 0;
        const ids = [];
        for (let i = 0; i < n; i++) ids.push(api.GetValue(`cmi.objectives.${i}.id`));
        return { ids };
      }
      let arg = c.arg;
      const ref = /^(.*?)&([^&]*)&(.*)$/.exec(arg);
      if (ref) {
        const i = indexOf(ref[1].includes("data") ? "adl.data" : "cmi.objectives", ref[2]);
        if (i < 0) return { missingObjective: ref[2] };
        arg = `${ref[1]}${i}${ref[3]}`;
      }
      let value;
      if (c.op === "SetValue") value = api.SetValue(arg, c.value);
      else if (c.op === "GetValue") value = api.GetValue(arg);
      else if (c.op === "GetLastError") value = api.GetLastError();
      else value = api[c.op](arg);
      return { value: String(value), error: String(api.GetLastError()) };
    });
  }, commands);
}

async function scoFrame(page) {
  const handle = await page.$("iframe#sco");
  return handle && (await handle.contentFrame());
}

/** The SCO in the frame, once it differs from the one last seen; null when none comes. */
async function nextSco(page, lastToken, timeout = DELIVERY_TIMEOUT) {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    const frame = await scoFrame(page);
    if (frame) {
      try {
        const sco = await frame.evaluate(() => (window.ctsSco ? { act: window.ctsSco.act, tc: window.ctsSco.tc, file: window.ctsSco.file, never: window.ctsSco.never, isSco: window.ctsSco.sco, token: window.ctsSco.token } : null));
        if (sco && sco.token !== lastToken) return { frame, ...sco };
      } catch {
        // between documents
      }
    }
    await page.waitForTimeout(100);
  }
  return null;
}

/** Answers the suite's UI questions (`continue.disabled~toc.enabled.selectable@Activity 2`). */
async function answerUi(page, questions) {
  return page.evaluate((qs) => {
    const control = (id) => document.getElementById(id);
    const shown = (el) => !!el && !el.hidden && getComputedStyle(el).display !== "none";
    const entries = [...document.querySelectorAll("#toc button")];
    const entry = (title) => entries.find((b) => b.textContent.trim() === title.trim());
    const names = { Continue: "continue", Previous: "previous", "Suspend All": "suspend", "Exit All": "exit", Exit: "exit" };
    return qs.split("~").map((q) => {
      const [k, arg] = q.split("@");
      let yes;
      if (k === "continue.enabled" || k === "previous.enabled") { const b = control(k.split(".")[0]); yes = shown(b) && !b.disabled; }
      // A hidden button is as unusable as a disabled one (ADL's answers count it disabled).
      else if (k === "continue.disabled" || k === "previous.disabled") { const b = control(k.split(".")[0]); yes = !shown(b) || b.disabled; }
      else if (k === "toc.enabled") yes = entries.some((b) => !b.disabled);
      else if (k === "toc.enabled.selectable" && /^the activity that corresponds to the root/.test(arg)) yes = !!document.querySelector("#course button");
      else if (k === "toc.enabled.selectable") { const b = entry(arg); yes = !!b && !b.disabled; }
      else if (k === "toc.visible") yes = !!entry(arg);
      else if (k === "ui.visible") yes = shown(control(names[arg] || "")); 
      else yes = null;
      return yes === null ? "?" : yes ? "Y" : "N";
    }).join("~");
  }, questions);
}

/** What the tester is told to do after a visit, as actions on the player. */
function instruction(cui, own) {
  const [k, a, b] = cui.split("~");
  const named = {
    ExitCM09ba: [["exit"], ["relaunch", "CM-09ba"]],
    RelaunchCM11: [["exit"], ["relaunch", "CM-11"]],
    SuspendCM09ca: [["suspend"], ["relaunch", "CM-09ca"]],
    ContinueExitCM8: [["continue"], ["relaunch", "CM-08"]],
    RelaunchCM5: [["relaunch", "CM-05"]],
    RelaunchRU13e: [["relaunch", "RU-13e"]],
    RelaunchRU14a: [["relaunch", "RU-14a"]],
    RelaunchRU14b: [["relaunch", "RU-14b"]],
    RelaunchRU14c: [["relaunch", "RU-14c"]],
    RelaunchRU14d: [["relaunch", "RU-14d"]],
    RelaunchCM10: [["ended"], ["relaunch", "CM-10"], ["choose", "Activity 4"]],
    RelaunchCM16: [["ended"], ["relaunch", "CM-16"]],
    RelaunchOB3b: [["ended"], ["relaunch", "OB-03b"]],
    RelaunchSX4a: [["ended"], ["relaunch", "SX-04a"]],
    RootSX4b: [["choose", "the activity that corresponds to the root"]],
    LaunchDDMb: [["ended"], ["relaunch", "DDMb"]],
    ReLaunchDDMa: [["ended"], ["relaunch", "DDMa"]],
    ReLaunchDDMb: [["ended"], ["relaunch", "DDMb"]],
    DMBx: [["ended"], ["relaunch", "DMB"]],
    DMBxAct: [["ended"], ["relaunch", "DMB"], ["choose", "Data Model Behavior Test 1"]],
    APIt1: [["choose", "API Implementation Test 1"]],
    APIt2: [["choose", "API Implementation Test 2"]],
    DMIt1: [["choose", "Data Model Implementation Test 1"]],
    DMIt2: [["choose", "Data Model Implementation Test 2"]],
    DMIt3: [["choose", "Data Model Implementation Test 3"]],
    DMIt4: [["choose", "Data Model Implementation Test 4"]],
    Continue: [["continue"]],
    Previous: [["previous"]],
    Exit: [["exit"]],
    TRIGExitAll: [["exit"]],
    AutoTest: [["ended"]],
    HasEnded: [["ended"]],
    OKEnd: [["ended"]],
  };
  if (named[k]) return named[k];
  switch (k) {
    case "Choice":
    case "ChoiceExit":
      return [["choose", a]];
    case "relaunch":
    case "exitlaunch":
      return [["exit"], ["relaunch", a]];
    case "launch":
      return [["relaunch", a]];
    case "autoendrelaunch":
      return [["ended"], ["relaunch", a]];
    case "launchnchoose":
    case "relaunchnchoose":
      return [["exit"], ["relaunch", a], ["choose", b]];
    case "autoendlaunchnchoose":
      return [["ended"], ["relaunch", a], ["choose", b]];
    case "":
      return [];
    default:
      return [["unknown", cui, own]];
  }
}

async function runCase(browser, name) {
  const tc = testCase(name);
  // One learner for the whole run, as the suite has it: some tests continue from what an
  // earlier one left in global objectives (OB-03b, then OB-03c).
  const learner = RUN_LEARNER;
  const fails = [];
  const strict = [];
  const ui = [];
  const delivered = [];
  let page = await browser.newPage();
  const notes = [];
  const answers = [];
  const watch = (p) => {
    p.on("pageerror", (e) => notes.push(`pageerror: ${e}`));
    // What Lara answered to each navigation request, for the report.
    p.on("response", (r) => {
      if (!new URL(r.url()).pathname.endsWith("/navigate")) return;
      const asked = (r.request().postData() || "").slice(0, 80);
      r.json().then((a) => answers.push(`${asked} -> ${a.deliver || (a.sessionEnded ? "end" : a.exception ? a.exception.code : "idle")}${a.resume ? " (resume)" : ""}`), () => {});
    });
  };
  watch(page);
  const start = tc.info.start || ".";
  let pkg = existsSync(join(courses, `LMSTestPackage_${start}`)) ? start : name;
  // A launch, or a launch that opens the activity the tester picks in the course outline.
  const open = async (p, title) => {
    pkg = p;
    const url = await launchUrl(page, p, learner);
    const id = title && titles.get(p).get(title.trim());
    if (title && !id) throw new Error(`package ${p} has no item titled "${title}"`);
    await page.goto(id ? `${url}${url.includes("?") ? "&" : "?"}activity=${encodeURIComponent(id)}` : url);
  };
  const choose = async (title) => {
    if (ROOT.test(title)) {
      const root = await page.waitForSelector("#course button", { timeout: 2000 }).catch(() => null);
      if (!root) throw new Error(`the tester must choose the root activity; the player does not offer it`);
      await root.click();
      return;
    }
    await page.waitForSelector("#toc button", { timeout: DELIVERY_TIMEOUT }).catch(() => {});
    const buttons = await page.$$("#toc button");
    for (const b of buttons) {
      if ((await b.textContent()).trim() === title.trim()) {
        if (await b.isDisabled()) throw new Error(`the table of contents offers "${title}" but disabled`);
        await b.click();
        return;
      }
    }
    throw new Error(`the table of contents has no entry "${title}"`);
  };
  let last = null;
  try {
    await open(pkg, start !== "." && start !== pkg ? start : null);
    for (const visit of tc.visits) {
      const sco = await nextSco(page, last);
      if (!sco) {
        const message = await page.textContent("#message").catch(() => "");
        throw new Error(`${visit.id}: expected activity ${visit.act} (visit ${visit.n}), nothing was delivered; the player says ${JSON.stringify(message)}`);
      }
      last = sco.token;
      delivered.push(`${sco.act}`);
      if (sco.never) throw new Error(`${visit.id}: Lara delivered a SCO the test says must never be delivered (${sco.file}, act ${sco.act})`);
      if (sco.act !== visit.act) throw new Error(`${visit.id}: expected activity ${visit.act}, Lara delivered activity ${sco.act}`);
      if (visit.uiq) {
        await page.waitForTimeout(200);
        const answers = await answerUi(page, visit.uiq);
        if (answers !== visit.uia) ui.push(`${visit.id}: ${visit.uiq} answered ${answers}, expected ${visit.uia}`);
      }
      const results = await callAll(sco.frame, visit.commands);
      visit.commands.forEach((c, j) => {
        const r = evaluate(c, results[j], learner);
        fails.push(...r.fails.map((f) => `${visit.id}: ${f}`));
        strict.push(...r.strict.map((f) => `${visit.id}: ${f}`));
      });
      // The suite's SCO ends its session after its calls, unless it is one that does so
      // when it is unloaded.
      const unloads = !!UNLOAD[sco.file];
      if (sco.isSco) await sco.frame.evaluate((u) => {
        if (u) { window.ctsSco.armed = true; return; }
        window.ctsSco.api().Terminate("");
      }, unloads).catch(() => {});
      const actions = instruction(visit.cui, tc);
      for (let k = 0; k < actions.length; k++) {
        const [action, arg] = actions[k];
        if (action === "continue" || action === "previous" || action === "exit" || action === "suspend") {
          // Give the page the SCO's Terminate answer first.
          await page.waitForTimeout(300);
          const button = await page.$(`#${action}`);
          const ended = action === "exit" && (await page.evaluate(() => {
            const f = document.getElementById("sco");
            return (!f.src || f.src === "about:blank") && document.getElementById("message").textContent !== "";
          }));
          if (ended) continue; // the course ended already: nothing left to exit
          if (!button || (await button.isHidden()) || (await button.isDisabled())) {
            throw new Error(`${visit.id}: the tester must use ${action}, but the player's ${action} is not available`);
          }
          await button.click();
        } else if (action === "choose") {
          await page.waitForTimeout(300);
          await choose(arg);
        } else if (action === "ended") {
          const next = await nextSco(page, last, QUIET_AFTER_END);
          if (next) throw new Error(`${visit.id}: the attempt should have ended, but Lara delivered activity ${next.act}`);
        } else if (action === "relaunch") {
          await page.waitForTimeout(300);
          await page.close();
          page = await browser.newPage();
          watch(page);
          last = null;
          // "Relaunch and choose X": the launch opens X.
          const then = actions[k + 1] && actions[k + 1][0] === "choose" ? actions[++k][1] : null;
          await open(arg, then);
        } else {
          throw new Error(`${visit.id}: instruction ${arg} is not understood by this script`);
        }
      }
    }
    const extra = await nextSco(page, last, QUIET_AFTER_END);
    if (extra) fails.push(`after the last visit Lara delivered activity ${extra.act}`);
  } catch (e) {
    fails.push(String(e && e.message || e));
  } finally {
    await page.close().catch(() => {});
  }
  return { test: name, ok: fails.length === 0, delivered: delivered.join(" "), fails, strict, ui, notes: notes.slice(0, 5), answers };
}

const names = only.length
  ? only
  : readdirSync(join(courses, "TestCases")).filter((f) => f.endsWith(".properties")).map((f) => f.slice(0, -11)).sort();
const browser = await launch();
let passed = 0;
const failed = [];
try {
  for (const name of names) {
    const r = await runCase(browser, name);
    console.log(JSON.stringify(r));
    if (r.ok) passed++;
    else failed.push(name);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ summary: true, passed, failed: failed.length, failing: failed }));
if (failed.length) process.exitCode = 1;
