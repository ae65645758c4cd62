// The browser-test harness: Rapport's pages driven in Debian's Chromium
// through puppeteer-core (never a downloaded browser). Plain Node ESM over
// node:test and node:assert; scripts/browser-tests starts the server and
// runs `node --test tests/browser/`.
//
// What a journey gets from here:
//   launch()                      a headless Chromium (/usr/bin/chromium)
//   withPage(browser, fn, opts)   a fresh browser context (its own cookies), a
//                                 page watched for console errors, closed after
//   signIn(page, base, token)     a sign-in link: /sign-in?token=… → session → /
//   shot(page, name)              a full-page PNG in target/browser/
//   shotAtWidths(page, name)      the same at laptop (1366) and tablet (820) width
//   axe(page, name)               axe-core over the page; fails on serious or
//                                 critical violations, the full JSON kept
//   collectConsoleErrors(page)    page errors and console errors (CSP ones too)
//   env(name), tableColumn(…), assertNoHorizontalScroll(page), readCsv(path)

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The repository's root (tests/browser/ is two levels down). */
export const repositoryRoot = path.resolve(here, "..", "..");

/** Where screenshots and axe results go: the test run's artifacts. */
export const artifactsDir = process.env.RAPPORT_BROWSER_ARTIFACTS
  ? path.resolve(process.env.RAPPORT_BROWSER_ARTIFACTS)
  : path.join(repositoryRoot, "target", "browser");

/** Debian's Chromium; CHROMIUM names another binary (never a downloaded one). */
export const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

/** A laptop screen, the default viewport of every page. */
export const LAPTOP = Object.freeze({ width: 1366, height: 768, deviceScaleFactor: 1 });
/** A tablet held upright (an iPad Air's CSS width). */
export const TABLET = Object.freeze({ width: 820, height: 1180, deviceScaleFactor: 1 });

/** An environment variable scripts/browser-tests sets; missing is an error, never a skip. */
export function env(name) {
  const value = process.env[name];
  assert.ok(
    value !== undefined && value !== "",
    `${name} is not set: run the browser tests through scripts/browser-tests, which starts the server and sets it`,
  );
  return value;
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/**
 * A headless Chromium. Its sandbox needs user namespaces a root process
 * cannot use, so `--no-sandbox` is passed only when running as root.
 */
export async function launch({ viewport = LAPTOP } = {}) {
  assert.ok(
    fs.existsSync(chromiumPath),
    `${chromiumPath} is missing: run scripts/browser-setup (Debian's chromium package)`,
  );
  const args = ["--disable-dev-shm-usage", "--font-render-hinting=none", "--hide-scrollbars"];
  if (typeof process.getuid === "function" && process.getuid() === 0) {
    args.push("--no-sandbox");
  }
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args,
    defaultViewport: { ...viewport },
  });
}

/**
 * Runs `journey(page, context)` on a page of its own browser context (its
 * own cookies: one person per journey), watched by collectConsoleErrors; the
 * journey fails on any console or page error it did not allow, and the
 * context is closed however it ends.
 *
 * `allowConsole`: regular expressions of console errors the journey expects
 * (the browser's "Failed to load resource … 401" on a page refused on
 * purpose, say).
 */
export async function withPage(browser, journey, { viewport = LAPTOP, allowConsole = [] } = {}) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ ...viewport });
    const consoleErrors = collectConsoleErrors(page, { allow: allowConsole });
    const result = await journey(page, { context, consoleErrors });
    consoleErrors.assertNone();
    return result;
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

/**
 * Opens a sign-in link (`BASE/sign-in?token=…`; an API token or a one-time
 * link's token): the server starts a session (the `rapport_session` cookie)
 * and answers 303 to `/`. Checks the redirect, the cookie and that the front
 * page answered 200; returns that response.
 */
export async function signIn(page, base, token) {
  const link = `${base}/sign-in?token=${encodeURIComponent(token)}`;
  const response = await page.goto(link, { waitUntil: "load" });
  assert.ok(response, `no response for the sign-in link ${base}/sign-in?token=…`);
  const chain = response.request().redirectChain();
  assert.equal(chain.length, 1, "the sign-in link redirects once (303 to /)");
  assert.equal(chain[0].response()?.status(), 303, "the sign-in link answers 303 See Other");
  assert.equal(new URL(page.url()).pathname, "/", "the sign-in link lands on the front page");
  assert.equal(response.status(), 200, "the front page answers 200 once signed in");
  const cookies = await page.browserContext().cookies();
  const session = cookies.find((cookie) => cookie.name === "rapport_session");
  assert.ok(session, "the sign-in link sets the rapport_session cookie");
  assert.ok(session.httpOnly, "the session cookie is HttpOnly");
  assert.equal(session.sameSite, "Strict", "the session cookie is SameSite=Strict");
  return response;
}

// ---------------------------------------------------------------------------
// Screenshots
// ---------------------------------------------------------------------------

function artifactPath(name, extension) {
  assert.match(name, /^[A-Za-z0-9._-]+$/, `an artifact name is a plain file name: ${name}`);
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, `${name}.${extension}`);
}

/** A full-page PNG of the page at its current viewport: target/browser/NAME.png. */
export async function shot(page, name) {
  const file = artifactPath(name, "png");
  await page.screenshot({ path: file, fullPage: true, captureBeyondViewport: true });
  return file;
}

/**
 * Full-page PNGs at laptop width (NAME-laptop.png, 1366) and tablet width
 * (NAME-tablet.png, 820); the page's viewport is put back afterwards.
 */
export async function shotAtWidths(page, name, widths = { laptop: LAPTOP, tablet: TABLET }) {
  const before = page.viewport();
  const files = {};
  try {
    for (const [label, viewport] of Object.entries(widths)) {
      await page.setViewport({ ...viewport });
      files[label] = await shot(page, `${name}-${label}`);
    }
  } finally {
    if (before) await page.setViewport(before);
  }
  return files;
}

// ---------------------------------------------------------------------------
// Accessibility: axe-core
// ---------------------------------------------------------------------------

const axePath = require.resolve("axe-core/axe.min.js");
let axeSource;

/** The impacts that fail a page. */
export const FAILING_IMPACTS = Object.freeze(["serious", "critical"]);

/**
 * Runs axe-core over the page as it stands. The full results go to
 * target/browser/NAME.axe.json; any violation of serious or critical impact
 * fails with one readable line per rule and its elements.
 *
 * Rapport's CSP is `script-src 'self'` with no inline scripts, so axe cannot
 * come in as a <script> (addScriptTag is refused, by path or by content).
 * Its source is evaluated through the DevTools protocol instead
 * (Runtime.evaluate, which page.evaluate uses): that runs in the page's main
 * world, with its DOM, and a page's CSP does not apply to it.
 */
export async function axe(page, name, options = {}) {
  const { results, failing, resultsFile } = await runAxe(page, name, options);
  if (failing.length > 0) {
    assert.fail(axeFailure(page, failing, resultsFile));
  }
  return results;
}

/** axe-core over the page, its results kept in target/browser/NAME.axe.json; nothing asserted. */
export async function runAxe(page, name, { runOptions = {}, context = undefined } = {}) {
  axeSource ??= fs.readFileSync(axePath, "utf8");
  const alreadyThere = await page.evaluate(() => typeof window.axe === "object");
  if (!alreadyThere) {
    await page.evaluate(axeSource);
  }
  const version = await page.evaluate(() => (typeof window.axe === "object" ? window.axe.version : null));
  assert.ok(version, "axe-core did not load into the page");
  const results = await page.evaluate(
    (axeContext, options) => window.axe.run(axeContext ?? document, options),
    context ?? null,
    { resultTypes: ["violations", "incomplete"], ...runOptions },
  );
  const resultsFile = artifactPath(name, "axe.json");
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  const failing = results.violations.filter((violation) => FAILING_IMPACTS.includes(violation.impact));
  return { results, failing, resultsFile };
}

function axeFailure(page, failing, resultsFile) {
  return (
    `axe: ${failing.length} serious or critical accessibility violation(s) on ${page.url()} ` +
    `(all results: ${path.relative(process.cwd(), resultsFile)}):\n` +
    failing.map(describeViolation).join("\n")
  );
}

function describeViolation(violation) {
  const nodes = violation.nodes
    .slice(0, 5)
    .map((node) => `      ${node.target.join(" ")}: ${firstLine(node.failureSummary)}`)
    .join("\n");
  const more = violation.nodes.length > 5 ? `\n      … and ${violation.nodes.length - 5} more` : "";
  return (
    `  - [${violation.impact}] ${violation.id}: ${violation.help} ` +
    `(${violation.nodes.length} element(s); ${violation.helpUrl})\n${nodes}${more}`
  );
}

function firstLine(text = "") {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !/^Fix (any|all) of the following:$/.test(line))
    .join("; ");
}

// ---------------------------------------------------------------------------
// Console and page errors
// ---------------------------------------------------------------------------

/**
 * Watches the page from now on: uncaught exceptions (`pageerror`), console
 * messages of type error (Chromium reports a Content-Security-Policy
 * violation and a failed load there) and requests that failed outright.
 * A `securitypolicyviolation` listener is installed in every document as
 * well (through the DevTools protocol, so the CSP does not stop it), so a
 * violation is caught even if Chromium stops logging it.
 *
 * `allow`: regular expressions of messages the journey expects.
 * Returns { errors, assertNone() }.
 */
export function collectConsoleErrors(page, { allow = [] } = {}) {
  const errors = [];
  const record = (kind, text, where) => {
    if (allow.some((pattern) => pattern.test(text))) return;
    errors.push(`${kind}: ${text}${where ? ` (${where})` : ""}`);
  };
  page.on("pageerror", (error) => record("page error", error?.message ?? String(error)));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const location = message.location();
    // Chromium asks for the origin's /favicon.ico by itself whatever the page
    // links, and logs its 404 as an error: that one is not the page's. (An
    // icon a page links under another path is checked like any load.)
    if (isAutomaticFavicon(page, location?.url)) return;
    record("console error", message.text(), location?.url);
  });
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "failed";
    // A navigation the journey itself replaced is not the page's fault.
    if (reason === "net::ERR_ABORTED" && request.isNavigationRequest()) return;
    record("request failed", `${request.method()} ${request.url()}: ${reason}`);
  });
  page
    .evaluateOnNewDocument(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(
          `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
            `(${event.sourceFile || "?"}:${event.lineNumber || 0})`,
        );
      });
    })
    .catch((error) => record("harness", `could not watch CSP violations: ${error.message}`));
  return {
    errors,
    assertNone() {
      assert.deepEqual(errors, [], `the page logged errors:\n  ${errors.join("\n  ")}`);
    },
  };
}

// ---------------------------------------------------------------------------
// Small assertions and readers
// ---------------------------------------------------------------------------

function isAutomaticFavicon(page, url) {
  if (!url) return false;
  try {
    const { origin, pathname } = new URL(url);
    return pathname === "/favicon.ico" && origin === new URL(page.url()).origin;
  } catch {
    return false;
  }
}

/** The trimmed text of each cell of the column headed `header` (sort arrows aside) in the table at `tableSelector`. */
export async function tableColumn(page, tableSelector, header) {
  const column = await page.$eval(
    tableSelector,
    (table, wanted) => {
      // A sorted column's header ends with its arrow (▲ or ▼): not part of its name.
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.replace(/[▲▼]/g, "").trim());
      const index = headers.indexOf(wanted);
      if (index < 0) return { headers, cells: null };
      const cells = [...table.querySelectorAll("tbody tr")].map((row) =>
        (row.children[index]?.textContent ?? "").trim(),
      );
      return { headers, cells };
    },
    header,
  );
  assert.ok(column.cells, `no column "${header}" in ${tableSelector}; its headers: ${column.headers.join(", ")}`);
  return column.cells;
}

/** The page's main heading (the first h1), trimmed. */
export async function heading(page) {
  const h1 = await page.$("h1");
  assert.ok(h1, `${page.url()} has no h1`);
  return (await h1.evaluate((element) => element.textContent)).trim();
}

/** The page scrolls only downwards: nothing sticks out to the right at this width. */
export async function assertNoHorizontalScroll(page) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(
    scrollWidth <= clientWidth,
    `${page.url()} scrolls sideways at ${clientWidth}px: its content is ${scrollWidth}px wide`,
  );
}

/** Sorted copy, for comparing lists whose order is not the point. */
export function sorted(values) {
  return [...values].sort((a, b) => a.localeCompare(b));
}

/**
 * A CSV file as an array of objects keyed by its header (RFC 4180 quoting:
 * quoted fields, doubled quotes, commas and line breaks inside quotes).
 */
export function readCsv(file) {
  const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...records] = rows.filter((cells) => cells.some((cell) => cell !== ""));
  const keys = header.map((key) => key.trim().toLowerCase());
  return records.map((cells) => Object.fromEntries(keys.map((key, index) => [key, (cells[index] ?? "").trim()])));
}

// ---------------------------------------------------------------------------
// The API beside the pages, and layout
// ---------------------------------------------------------------------------

/**
 * Calls Rapport's JSON API from Node with an API token (no browser): what
 * the pages show is checked against it. Returns { status, headers, text, json }.
 */
export async function api(path, token, { method = "GET", body = undefined } = {}) {
  const headers = { accept: "application/json", authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(path, env("RAPPORT_BASE")), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Fetches a URL from inside the page (its session cookie, same origin) and
 * returns { status, contentType, text }.
 */
export async function fetchInPage(page, url) {
  return page.evaluate(async (target) => {
    const response = await fetch(target, { credentials: "same-origin" });
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      text: await response.text(),
    };
  }, url);
}

/**
 * What sticks out to the right of the page at its current width: the page's
 * scroll width against its client width, and the outermost elements whose
 * right edge passes the viewport (a selector-ish path and the start of their
 * HTML), so a report can name them.
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const describe = (element) => {
      const parts = [];
      for (let at = element; at && at !== document.body && parts.length < 5; at = at.parentElement) {
        let part = at.tagName.toLowerCase();
        if (at.id) part += `#${at.id}`;
        else if (typeof at.className === "string" && at.className.trim()) {
          part += `.${at.className.trim().split(/\s+/).join(".")}`;
        }
        parts.unshift(part);
      }
      return parts.join(" > ");
    };
    const offenders = [];
    for (const element of document.body.querySelectorAll("*")) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) continue;
      // Only the outermost: an element inside one already named is the same story.
      if (offenders.some((o) => o.element.contains(element))) continue;
      // Inside something that scrolls by itself (overflow-x auto): not the page's problem.
      let scrolls = false;
      for (let at = element.parentElement; at && at !== document.body; at = at.parentElement) {
        const style = getComputedStyle(at);
        if (/(auto|scroll|hidden)/.test(style.overflowX) && at.getBoundingClientRect().right <= width + 1) {
          scrolls = true;
          break;
        }
      }
      if (scrolls) continue;
      offenders.push({ element, right: Math.round(box.right) });
    }
    return {
      url: location.pathname + location.search,
      clientWidth: width,
      scrollWidth: root.scrollWidth,
      offenders: offenders.slice(0, 6).map((o) => ({
        path: describe(o.element),
        right: o.right,
        html: o.element.outerHTML.replace(/\s+/g, " ").slice(0, 160),
      })),
    };
  });
}

/**
 * The page's visible text shows no program data: no JSON object
 * (`{"key": …`), no `undefined`, `NaN`, `null` or `[object Object]` a
 * template or script let through, and no element (a cell, a chip) whose
 * whole text is `None` (the English "None." of an empty table is fine).
 */
export async function assertNoRawData(page) {
  const { text, bare } = await page.evaluate(() => {
    const root = document.querySelector("main") ?? document.body;
    const bare = [...root.querySelectorAll("*")]
      .filter((element) => element.children.length === 0 && /^(None|null|undefined|NaN)$/.test(element.textContent.trim()))
      .map((element) => {
        const row = element.closest("tr, li, p") ?? element.parentElement;
        return `${element.tagName.toLowerCase()}${element.className ? `.${element.className}` : ""} “${element.textContent.trim()}” in “${row.innerText.replace(/\s+/g, " ").slice(0, 120)}”`;
      });
    return { text: root.innerText, bare };
  });
  const patterns = [/\{\s*"[A-Za-z_]+"\s*:/, /\bundefined\b/, /\bNaN\b/, /\bnull\b/, /\[object Object\]/];
  const found = patterns
    .map((pattern) => pattern.exec(text))
    .filter(Boolean)
    .map((match) => `“${text.slice(Math.max(0, match.index - 60), match.index + 120).replace(/\s+/g, " ")}”`);
  assert.deepEqual([...found, ...bare], [], `${page.url()} shows program data as text:\n  ${[...found, ...bare].join("\n  ")}`);
}

/** Appends a line to target/browser/layout.txt (layout findings reported, not failed). */
export function recordLayout(line) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.appendFileSync(path.join(artifactsDir, "layout.txt"), `${line}\n`);
}

/**
 * One page checked the way every journey checks a page, each check its own
 * subtest of `t` (so one failing check — an axe violation, say — is reported
 * by name and the journey goes on): no program data in its text
 * (assertNoRawData; `showsCode` for a page of code examples), full-page
 * screenshots at laptop and
 * tablet width (NAME-laptop.png, NAME-tablet.png), axe-core at both widths
 * (NAME-laptop.axe.json, NAME-tablet.axe.json; at tablet width only what is
 * new there fails), and at tablet width whether
 * the page scrolls sideways — reported (test diagnostic and
 * target/browser/layout.txt), not failed, since that is layout to fix rather
 * than a broken journey. The viewport is put back to laptop width.
 */
export async function checkPage(t, page, name, { showsCode = false } = {}) {
  await shotAtWidths(page, name);
  if (!showsCode) {
    await t.test(`${name}: no raw data in the page's text`, async () => {
      await assertNoRawData(page);
    });
  }
  // A violation found at laptop width fails that subtest; at tablet width
  // only what is new there fails (the same element breaking the same rule is
  // one finding, not two).
  const seen = new Set();
  const key = (violation, node) => `${violation.id} ${node.target.join(" ")}`;
  for (const [label, viewport] of [["laptop", LAPTOP], ["tablet", TABLET]]) {
    await page.setViewport({ ...viewport });
    await t.test(`axe: ${name} at ${label} width`, async () => {
      const { failing, resultsFile } = await runAxe(page, `${name}-${label}`);
      const fresh = failing
        .map((violation) => ({ ...violation, nodes: violation.nodes.filter((node) => !seen.has(key(violation, node))) }))
        .filter((violation) => violation.nodes.length > 0);
      for (const violation of failing) for (const node of violation.nodes) seen.add(key(violation, node));
      if (fresh.length > 0) assert.fail(axeFailure(page, fresh, resultsFile));
    });
  }
  await page.setViewport({ ...TABLET });
  const overflow = await horizontalOverflow(page);
  await page.setViewport({ ...LAPTOP });
  if (overflow.scrollWidth > overflow.clientWidth) {
    const line =
      `${name} (${overflow.url}) scrolls sideways at ${overflow.clientWidth}px: ${overflow.scrollWidth}px wide; ` +
      overflow.offenders.map((o) => `${o.path} reaches ${o.right}px: ${o.html}`).join(" | ");
    recordLayout(line);
    t.diagnostic(`layout: ${line}`);
  }
  return overflow;
}
