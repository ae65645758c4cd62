// An account's quick actions, as its CSM (RAPPORT_CSM_NAME) on their first
// account of accounts.csv: each action is done on the page and its effect
// checked through the JSON API.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { api, assertNoRawData, axe, checkPage, env, fetchInPage, heading, launch, readCsv, shot, signIn, withPage } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const csmToken = () => env("RAPPORT_TOKEN_CSM");
const csmName = () => env("RAPPORT_CSM_NAME");

/** The CSM's first account of accounts.csv (the one the CSM user is named after): { id, externalId, name, csm }. */
async function theAccount() {
  const demo = readCsv(path.join(env("RAPPORT_DEMO_DIR"), "accounts.csv"));
  const first = demo.find((account) => account.csm === csmName());
  const answer = await api(`/api/portfolio/accounts?status=all&limit=500`, csmToken());
  assert.equal(answer.status, 200);
  const row = answer.json.rows.find((r) => r.account.externalId === first.id);
  assert.ok(row, `the CSM sees ${first.name} (${first.id}) through the API`);
  return row.account;
}

/** Opens a quick action (`details.action` by its summary) and returns its handle. */
async function openAction(page, summary) {
  const details = await page.evaluateHandle((wanted) => {
    const found = [...document.querySelectorAll("details.action")].find(
      (d) => d.querySelector("summary")?.textContent.trim() === wanted,
    );
    if (found && !found.open) found.querySelector("summary").click();
    return found ?? null;
  }, summary);
  const element = details.asElement();
  assert.ok(element, `the quick action "${summary}" is on the page`);
  assert.ok(await element.evaluate((d) => d.open), `"${summary}" opens`);
  return element;
}

/** Sets a field's value as a person would: cleared, then typed. */
async function fill(page, selector, value) {
  await page.$eval(selector, (field) => {
    field.value = "";
  });
  await page.type(selector, value);
}

/** ISO timestamps ("now", different at each request) made comparable. */
const stripTimes = (text) =>
  text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, "<time>");
function stripTimesDeep(value) {
  if (typeof value === "string") return stripTimes(value);
  if (Array.isArray(value)) return value.map(stripTimesDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, stripTimesDeep(v)]));
  }
  return value;
}

// A breakdown depends on the instant asked (days since the last executive
// contact, say): two requests a moment apart differ in the fifth digit. So
// numbers are compared to one part in ten thousand, everything else exactly.
const closeEnough = (a, b) => a === b || Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));

/** Deep equality, numbers within closeEnough; returns the first difference's path, or null. */
function difference(a, b, at = "$") {
  if (typeof a === "number" && typeof b === "number") return closeEnough(a, b) ? null : `${at}: ${a} ≠ ${b}`;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return `${at}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (a && typeof a === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = difference(a[key], b[key], `${at}.${key}`);
      if (found) return found;
    }
    return null;
  }
  return a === b ? null : `${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
}

/** The same for text: split into numbers and the rest. */
function textDifference(a, b) {
  const pieces = (text) => stripTimes(text).split(/(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/);
  const [pa, pb] = [pieces(a), pieces(b)];
  if (pa.length !== pb.length) return `different shapes (${pa.length} and ${pb.length} pieces)`;
  for (let i = 0; i < pa.length; i += 1) {
    const same = i % 2 === 1 ? closeEnough(Number(pa[i]), Number(pb[i])) : pa[i] === pb[i];
    if (!same) return `piece ${i}: ${JSON.stringify(pa[i])} ≠ ${JSON.stringify(pb[i])} (after …${pa.slice(Math.max(0, i - 4), i).join("").slice(-80)})`;
  }
  return null;
}

function isoDay(offsetDays) {
  const day = new Date(Date.now() + offsetDays * 86_400_000);
  return day.toISOString().slice(0, 10);
}

describe("an account's quick actions (its CSM)", () => {
  test("schedule a review: the task is the API's, with the title, due date and owner given", async (t) => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      assert.equal(await heading(page), account.name);
      const form = await openAction(page, "Schedule engagement review");
      const defaults = await form.$$eval("input, textarea", (fields) =>
        Object.fromEntries(fields.map((f) => [f.name, f.value])),
      );
      assert.equal(defaults.title, `Engagement review with ${account.name}`, "the title is suggested");
      assert.equal(defaults.owner, account.csm, "the owner is the account's CSM by default");
      assert.match(defaults.detail ?? "", /^Review the engagement breakdown/, "an agenda is suggested");

      const title = `Browser review ${Date.now()}`;
      const due = isoDay(12);
      await fill(page, "#qa-review-title", title);
      await page.$eval("#qa-review-due", (input, value) => {
        input.value = value;
      }, due);
      await fill(page, "#qa-review-owner", "Lena Leader");
      await fill(page, "#qa-review-detail", "Walk through the factors that fell.");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('form[data-api$="/tasks"] button[type="submit"]'),
      ]);
      const tasks = await api(`/api/tasks?account=${account.id}`, csmToken());
      assert.equal(tasks.status, 200);
      const task = tasks.json.find((candidate) => candidate.title === title);
      assert.ok(task, `the task "${title}" is in GET /api/tasks?account=…: ${tasks.text.slice(0, 300)}`);
      assert.equal(task.due, due);
      assert.equal(task.owner, "Lena Leader");
      assert.equal(task.detail, "Walk through the factors that fell.");
      assert.equal(task.state.status, "open");
      const panel = await page.$eval('section[aria-labelledby="tasks-h"]', (s) => s.innerText);
      assert.ok(panel.includes(title), "the reloaded page's Tasks panel lists it");
      await checkPage(t, page, "account-after-review");
    });
  });

  test("the three exports are the API's breakdown (Markdown, CSV, JSON)", async () => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      const links = await page.$$eval("a[download]", (all) =>
        all
          .filter((a) => /^Export breakdown/.test(a.textContent.trim()))
          .map((a) => ({ text: a.textContent.trim(), href: a.getAttribute("href"), file: a.getAttribute("download") })),
      );
      assert.deepEqual(
        links.map((link) => link.text),
        ["Export breakdown (Markdown)", "Export breakdown (CSV)", "Export breakdown (JSON)"],
      );
      const apiPath = `/api/intelligence/engagement/${account.id}`;
      const expected = {
        "Export breakdown (Markdown)": { href: `${apiPath}?format=md`, file: `engagement-${account.externalId}.md`, type: /^text\/markdown/ },
        "Export breakdown (CSV)": { href: `${apiPath}?format=csv`, file: `engagement-${account.externalId}.csv`, type: /^text\/csv/ },
        "Export breakdown (JSON)": { href: apiPath, file: `engagement-${account.externalId}.json`, type: /^application\/json/ },
      };
      for (const link of links) {
        const want = expected[link.text];
        assert.equal(link.href, want.href, `${link.text} links the API`);
        assert.equal(link.file, want.file, `${link.text} saves as ${want.file}`);
        const fromPage = await fetchInPage(page, link.href);
        const fromApi = await api(want.href, csmToken());
        assert.equal(fromPage.status, 200, `${link.text}: ${fromPage.text.slice(0, 200)}`);
        assert.equal(fromApi.status, 200);
        assert.match(fromPage.contentType, want.type, `${link.text}: its content type`);
        if (link.text.endsWith("(JSON)")) {
          const found = difference(stripTimesDeep(JSON.parse(fromPage.text)), stripTimesDeep(fromApi.json));
          assert.equal(found, null, "the JSON export is the API's object (times of the request aside)");
        } else {
          assert.ok(fromPage.text.includes(account.name), `${link.text} names the account`);
          assert.equal(textDifference(fromPage.text, fromApi.text), null, `${link.text} is the API's text (times of the request aside)`);
        }
      }
    });
  });

  test("the other quick links open: value report, compare periods, record a no-show", async () => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      const links = Object.fromEntries(
        await page.$$eval('section[aria-labelledby="qa-h"] a.button:not([download]):not([data-mailto])', (all) =>
          all.map((a) => [a.textContent.trim(), a.getAttribute("href")]),
        ),
      );
      assert.deepEqual(Object.keys(links), ["Compare periods", "Generate value report", "Record a no-show"]);
      const report = await fetchInPage(page, links["Generate value report"]);
      assert.equal(report.status, 200, "the value report opens");
      assert.match(report.contentType, /^text\/html/);
      assert.ok(report.text.includes(account.name), "the value report is the account's");
      for (const label of ["Compare periods", "Record a no-show"]) {
        const target = new URL(links[label], base());
        const response = await page.goto(target.href, { waitUntil: "load" });
        assert.equal(response.status(), 200, `${label} (${links[label]}) opens`);
        // Whether its #fragment finds its place is checked, for every link of
        // a tab to a place on itself, in portfolio.test.mjs.
      }
    });
  });

  test("share with customer: the link opens signed out without internal figures, and is refused once revoked", async (t) => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      page.on("dialog", (dialog) => dialog.accept());
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      await openAction(page, "Share with customer");
      await page.select("#qa-share-exp", "7d");
      const created = page.waitForResponse((r) => r.url().endsWith("/share-links") && r.request().method() === "POST");
      await page.click('form[data-then="show"] button[type="submit"]');
      const response = await created;
      assert.equal(response.status(), 201, "the share link is made");
      const made = await response.json();
      await page.waitForFunction(() => (document.querySelector("[data-result]")?.textContent ?? "").trim() !== "");
      const shown = await page.$eval("[data-result]", (p) => p.textContent.trim());
      // What the API answered, for the rest of the journey should the page not show it.
      const answered = new URL(made.url ?? made.path, base());
      await t.test("the page shows the link to send", () => {
        const match = /^Send this link \(shown once\): (https?:\/\/\S+)$/.exec(shown);
        assert.ok(
          match,
          `the page says "${shown}" where it should show the link; the API answered ${JSON.stringify(
            Object.fromEntries(Object.entries(made).filter(([key]) => ["url", "path", "id"].includes(key))),
          )} (the form reads the field data-show="url")`,
        );
        assert.equal(match[1], answered.href, "the link shown is the one made");
      });
      const url = answered;
      assert.equal(url.origin, new URL(base()).origin, "the link is on this server");
      assert.match(url.pathname, /^\/share\/rps_[A-Za-z0-9_-]+$/);
      await checkPage(t, page, "account-share-link");

      // A customer's browser: no cookies of ours.
      const customer = await browser.createBrowserContext();
      let html;
      try {
        const tab = await customer.newPage();
        const response = await tab.goto(url.href, { waitUntil: "load" });
        assert.equal(response.status(), 200, "the link opens signed out");
        html = await tab.content();
        assert.match(await tab.$eval("h1", (h1) => h1.textContent), new RegExp(account.name));
        await t.test("the shared value report shows no program data", async () => {
          await assertNoRawData(tab);
        });
        await t.test("axe: the shared value report", async () => {
          await axe(tab, "share-report");
        });
        await shot(tab, "share-report");
      } finally {
        await customer.close();
      }
      const [firstName] = csmName().split(/\s+/);
      for (const internal of ["engagement", "health score", "override", firstName, csmName(), account.csm]) {
        assert.ok(
          !html.toLowerCase().includes(internal.toLowerCase()),
          `the customer's report says "${internal}": ${excerpt(html, internal)}`,
        );
      }

      // Revoke it on the page (a confirm guards it), then the link is gone.
      await page.reload({ waitUntil: "load" });
      await openAction(page, "Share with customer");
      const revoke = await page.$$("details.action button[data-method=DELETE]");
      assert.ok(revoke.length > 0, "the links made are listed with a Revoke button");
      const listed = (await api(`/api/share-links?account=${account.id}`, csmToken())).json;
      const ours = (Array.isArray(listed) ? listed : []).find((link) => link.id === made.id);
      assert.ok(ours, `GET /api/share-links lists the link made (id ${made.id})`);
      assert.equal(ours.openCount, 1, "the API counts the customer's opening");
      await t.test("the page counts the link's openings as the API does", async () => {
        const openRows = await page.$$eval("details.action table tbody tr", (rows) => rows.map((r) => r.innerText));
        assert.ok(
          openRows.some((row) => row.includes(`open (${ours.openCount} opening`)),
          `the API counts ${ours.openCount} opening(s) (openCount); the page's rows say: ${openRows.join(" | ")}`,
        );
      });
      // The newest link: the last Revoke button of the list (made just now, 7 days).
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), revoke[revoke.length - 1].click()]);
      const gone = await fetch(url.href, { redirect: "manual" });
      assert.equal(gone.status, 404, "a revoked link answers 404");
      const afterRows = await page.$$eval("details.action table tbody tr", (rows) => rows.map((r) => r.textContent));
      assert.ok(afterRows.some((row) => /revoked/.test(row)), `the page lists the link as revoked: ${afterRows.join(" | ")}`);

      // The customer opening it now: a page (not JSON) saying the link has ended.
      const late = await browser.createBrowserContext();
      try {
        const tab = await late.newPage();
        const response = await tab.goto(url.href, { waitUntil: "load" });
        assert.equal(response.status(), 404);
        assert.match(response.headers()["content-type"] ?? "", /^text\/html/, "a browser gets a page");
        assert.equal(await tab.$eval("h1", (h1) => h1.textContent.trim()), "This link does not open a report");
        assert.ok(!(await tab.content()).includes(account.name), "the ended link's page names no account");
        await t.test("axe: the ended share link's page", async () => {
          await axe(tab, "share-gone");
        });
        await shot(tab, "share-gone");
      } finally {
        await late.close();
      }
    });
  });

  test("the exec meeting draft's mailto link follows the subject typed", async () => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      await openAction(page, "Draft exec meeting request");
      const before = await page.$eval("a[data-mailto]", (a) => a.getAttribute("href"));
      assert.match(before, /^mailto:/);
      const subject = `Quarterly review, ${account.name} & us`;
      await fill(page, "#qa-mail-subject", subject);
      const afterTyping = await page.$eval("a[data-mailto]", (a) => a.getAttribute("href"));
      assert.notEqual(afterTyping, before, "typing changes the link");
      const mailto = new URL(afterTyping);
      assert.equal(mailto.searchParams.get("subject"), subject, "the link carries the subject typed");
      const body = await page.$eval("#qa-mail-body", (t) => t.value);
      assert.equal(mailto.searchParams.get("body"), body, "…and the message as it stands");
    });
  });

  test("re-engagement campaign: tasks for the inactive users, or the 409 said in the form", async () => {
    const account = await theAccount();
    const tasksBefore = (await api(`/api/tasks?account=${account.id}`, csmToken())).json;
    await withPage(
      browser,
      async (page) => {
        await signIn(page, base(), csmToken());
        await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
        const form = await openAction(page, "Create re-engagement campaign");
        const answer = page.waitForResponse((r) => r.url().endsWith("/re-engagement") && r.request().method() === "POST");
        await form.$eval('button[type="submit"]', (b) => b.click());
        const response = await answer;
        if (response.status() === 409) {
          const errorBox = await form.$(".form-error");
          await page.waitForFunction((p) => p.textContent.trim() !== "", {}, errorBox);
          const said = await errorBox.evaluate((p) => p.textContent.trim());
          const body = await response.json();
          assert.equal(said, body.error, "the form says the API's reason");
        } else {
          assert.equal(response.status(), 201, `the campaign answers 201 or 409, not ${response.status()}`);
          await page.waitForNavigation({ waitUntil: "load" }).catch(() => {});
          const tasksAfter = (await api(`/api/tasks?account=${account.id}`, csmToken())).json;
          assert.ok(tasksAfter.length > tasksBefore.length, "the campaign made tasks");
        }
      },
      { allowConsole: [/status of 409/] },
    );
  });

  test("update metrics on the Success tab: the measurement becomes the metric's current value", async (t) => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}?tab=success`, { waitUntil: "load" });
      const details = await page.$$("section[id^=goal-] details.action");
      assert.ok(details.length > 0, `${account.name} has a goal with "Update metrics"`);
      await details[0].evaluate((d) => {
        d.open = true;
      });
      const form = await details[0].$("form[data-api*='/measurements']");
      const action = await form.evaluate((f) => f.getAttribute("data-api"));
      const metricId = /\/metrics\/([^/]+)\/measurements$/.exec(action)[1];
      const before = await api(`/api/intelligence/success-metrics/${account.id}`, csmToken());
      const metricOf = (json) => json.goals.flatMap((g) => g.metrics).find((m) => m.id === metricId);
      const old = metricOf(before.json);
      assert.ok(old, `the metric ${metricId} is in the API`);
      const value = Math.round(((old.current ?? old.baseline ?? 10) * 0.9 + 0.25) * 100) / 100;
      await (await form.$('input[name="value"]')).type(String(value));
      await (await form.$('input[name="note"]')).type("measured in the browser test");
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), form.$eval('button[type="submit"]', (b) => b.click())]);
      const afterwards = metricOf((await api(`/api/intelligence/success-metrics/${account.id}`, csmToken())).json);
      assert.equal(afterwards.current, value, `the metric's current value is the one recorded (was ${old.current})`);
      await checkPage(t, page, "account-success-after-measurement");
    });
  });

  test("add new goal: the goal is the API's, and the Success tab shows it", async () => {
    const account = await theAccount();
    await withPage(
      browser,
      async (page) => {
        await signIn(page, base(), csmToken());
        await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
        await openAction(page, "Add new goal");
        const title = `Cut onboarding time ${Date.now()}`;
        await page.type("#qa-goal-title", title);
        await page.type("#qa-goal-desc", "New hires productive sooner.");
        await page.$eval("#qa-goal-target", (input, value) => {
          input.value = value;
        }, isoDay(180));
        await page.type("#qa-goal-metric", "Days to first report");
        await page.type("#qa-goal-unit", "days");
        await page.type("#qa-goal-base", "20");
        await page.type("#qa-goal-tgt", "5");
        await page.select("#qa-goal-dir", "lower_is_better");
        const answer = page.waitForResponse((r) => r.url().endsWith("/goals") && r.request().method() === "POST");
        const navigation = page.waitForNavigation({ waitUntil: "load" });
        await page.click('form[data-api$="/goals"] button[type="submit"]');
        const response = await answer;
        // The page goes on at once, so the body may be gone: the status says.
        assert.ok(response.ok(), `POST …/goals answers ${response.status()} to the form's body ${response.request().postData()}`);
        await navigation;
        assert.equal(new URL(page.url()).searchParams.get("tab"), "success", "the form goes on to the Success tab");
        const goals = (await api(`/api/intelligence/success-metrics/${account.id}`, csmToken())).json.goals;
        const goal = goals.find((g) => g.title === title);
        assert.ok(goal, `the goal "${title}" is in the API`);
        assert.deepEqual(
          goal.metrics.map((m) => [m.name, m.baseline, m.target, m.unit, m.direction]),
          [["Days to first report", 20, 5, "days", "lower_is_better"]],
        );
        assert.ok((await page.$eval("main", (m) => m.innerText)).includes(title), "the Success tab lists it");
      },
      { allowConsole: [/status of 4\d\d/] },
    );
  });

  test("override the health score on the Health tab: the API's health carries the override", async (t) => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}?tab=health`, { waitUntil: "load" });
      await openAction(page, "Override the health score");
      await page.type("#ov-value", "42");
      await page.type("#ov-reason", "Champion left last week (browser test)");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('form[data-api*="/overrides/"] button[type="submit"]'),
      ]);
      const health = (await api(`/api/intelligence/health/${account.id}`, csmToken())).json;
      assert.equal(health.scoreOverride?.override?.value, 42, `the API's health: ${JSON.stringify(health.scoreOverride)}`);
      assert.equal(health.scoreOverride.override.reason, "Champion left last week (browser test)");
      const banner = await page.$eval("main", (m) => m.innerText);
      assert.match(banner, /Manual override in force: 42/, "the Health tab says the override is in force");
      assert.match(banner, /Champion left last week \(browser test\)/, "…and lists it in the override history");
      await checkPage(t, page, "account-health-overridden");
    });
  });

  test("every quick action opened: screenshots and axe", async (t) => {
    const account = await theAccount();
    await withPage(browser, async (page) => {
      await signIn(page, base(), csmToken());
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      await page.$$eval("details", (all) => all.forEach((d) => (d.open = true)));
      await checkPage(t, page, "account-actions-open");
    });
  });
});

function excerpt(text, word) {
  const at = text.toLowerCase().indexOf(word.toLowerCase());
  return at < 0 ? "" : `…${text.slice(Math.max(0, at - 80), at + 80).replace(/\s+/g, " ")}…`;
}
