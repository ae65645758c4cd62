// Journeys through Rapport's pages in Chromium: signing in, and "My day"
// (the front page) for each role. The other pages have a file each:
//   portfolio.test.mjs        portfolio → a bar → accounts → an account's tabs
//   account-actions.test.mjs  an account's quick actions (tasks, exports, share…)
//   alerts-tasks.test.mjs     /alerts, /tasks, /settings/webhooks
//   scope.test.mjs            a CSM sees only their own accounts
//
// scripts/browser-tests serves a small demo portfolio and sets:
//   RAPPORT_BASE                      http://127.0.0.1:PORT
//   RAPPORT_DEMO_DIR                  the generated portfolio (accounts.csv …)
//   RAPPORT_TOKEN_ADMIN|LEADER|CSM|VIEWER   API tokens (also sign-in links' tokens)
//   RAPPORT_CSM_NAME                  the CSM user's name, a `csm` of accounts.csv
//   RAPPORT_SIGN_IN_LINK_VIEWER       a one-time link from `rapport users sign-in-link`
//   RAPPORT_PASSWORD_LEADER           "Lena Leader"'s password (`rapport users set-password`)
//
// A page is checked by checkPage (lib.mjs): screenshots at laptop and tablet
// width, axe-core at both, sideways scrolling reported.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { api, checkPage, env, heading, launch, readCsv, signIn, withPage } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const demoAccounts = () => readCsv(path.join(env("RAPPORT_DEMO_DIR"), "accounts.csv"));

async function noSession(page) {
  const cookies = await page.browserContext().cookies();
  return !cookies.some((cookie) => cookie.name === "rapport_session");
}

/** A refused sign-in link, in a browser: the sign-in page saying why, ready for a password. */
async function assertRefusalPage(page, response) {
  assert.match(response.headers()["content-type"] ?? "", /^text\/html/, "a browser gets the sign-in page, not JSON");
  assert.equal(await heading(page), "Sign in to Rapport");
  const banner = await page.$eval("main .banner", (p) => p.textContent.trim());
  assert.match(banner, /sign-in link was used already, has expired or is not known/);
  assert.ok(await page.$('form[data-sign-in] [name="password"]'), "…with the password form");
  assert.ok(await noSession(page), "no session from a refused link");
}

// ---------------------------------------------------------------------------
describe("signing in", () => {
  test("signed out, the front page sends the browser to the sign-in page and names no account", async (t) => {
    await withPage(browser, async (page) => {
      const response = await page.goto(`${base()}/`, { waitUntil: "load" });
      const chain = response.request().redirectChain();
      assert.equal(chain.length, 1, "the front page redirects once");
      assert.equal(chain[0].response()?.status(), 303, "a page opened signed out answers 303 See Other");
      assert.equal(chain[0].response()?.headers().location, "/sign-in?next=%2F", "…to the sign-in page, coming back to /");
      const url = new URL(page.url());
      assert.equal(url.pathname, "/sign-in");
      assert.equal(url.searchParams.get("next"), "/");
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"] ?? "", /^text\/html/);
      assert.equal(await heading(page), "Sign in to Rapport");
      const body = await page.content();
      for (const account of demoAccounts()) {
        assert.ok(!body.includes(account.name), `the sign-in page names ${account.name}`);
      }
      assert.ok(await noSession(page), "no session without signing in");
      for (const field of ["name", "password", "token"]) {
        assert.ok(await page.$(`form[data-sign-in] [name="${field}"]`), `the sign-in page asks for the ${field}`);
      }
      await checkPage(t, page, "sign-in");
    });
  });

  test("the sign-in page's password form refuses a wrong password on the page, then signs in and goes to `next`", async () => {
    const next = "/accounts?tier=core";
    await withPage(
      browser,
      async (page) => {
        const response = await page.goto(`${base()}${next}`, { waitUntil: "load" });
        assert.equal(response.request().redirectChain()[0]?.response()?.status(), 303);
        const at = new URL(page.url());
        assert.equal(at.pathname, "/sign-in");
        assert.equal(at.searchParams.get("next"), next, "the sign-in page keeps the page asked for, query and all");

        const passwordForm = 'form[data-sign-in]:has([name="password"])';
        await page.type(`${passwordForm} [name="name"]`, "Lena Leader");
        await page.type(`${passwordForm} [name="password"]`, "not-the-password-at-all");
        await page.click(`${passwordForm} button[type="submit"]`);
        await page.waitForFunction(
          (form) => document.querySelector(`${form} .form-error`)?.textContent.trim() !== "",
          {},
          passwordForm,
        );
        const refusal = await page.$eval(`${passwordForm} .form-error`, (p) => p.textContent.trim());
        assert.match(refusal, /password/i, "a wrong password is said so in the form");
        assert.equal(new URL(page.url()).pathname, "/sign-in", "a wrong password stays on the sign-in page");
        assert.ok(await noSession(page), "no session from a wrong password");

        await page.$eval(`${passwordForm} [name="password"]`, (input) => {
          input.value = "";
        });
        await page.type(`${passwordForm} [name="password"]`, env("RAPPORT_PASSWORD_LEADER"));
        await Promise.all([
          page.waitForNavigation({ waitUntil: "load" }),
          page.click(`${passwordForm} button[type="submit"]`),
        ]);
        const landed = new URL(page.url());
        assert.equal(landed.pathname + landed.search, next, "the password form lands on `next`");
        assert.equal(await heading(page), "Accounts");
        assert.ok(!(await noSession(page)), "signing in with the password starts a session");
        const who = await page.$eval("header .who", (element) => element.textContent);
        assert.match(who, /Lena Leader \(leader\)/);
      },
      // The refused POST /api/session is logged by Chromium as a failed load.
      { allowConsole: [/status of 401/] },
    );
  });

  for (const elsewhere of ["https://evil.example/steal", "//evil.example/steal", "/\\evil.example/steal"]) {
    test(`the password form never sends the browser elsewhere (next=${elsewhere})`, async () => {
      await withPage(browser, async (page) => {
        await page.goto(`${base()}/sign-in?next=${encodeURIComponent(elsewhere)}`, { waitUntil: "load" });
        const passwordForm = 'form[data-sign-in]:has([name="password"])';
        await page.type(`${passwordForm} [name="name"]`, "Lena Leader");
        await page.type(`${passwordForm} [name="password"]`, env("RAPPORT_PASSWORD_LEADER"));
        await Promise.all([
          page.waitForNavigation({ waitUntil: "load" }),
          page.click(`${passwordForm} button[type="submit"]`),
        ]);
        const landed = new URL(page.url());
        assert.equal(landed.origin, new URL(base()).origin, `signing in with next=${elsewhere} stays on Rapport`);
        assert.equal(landed.pathname, "/");
      });
    });
  }

  test("a one-time sign-in link signs in once, and is refused the second time", async () => {
    const link = new URL(env("RAPPORT_SIGN_IN_LINK_VIEWER"));
    assert.equal(link.origin, new URL(base()).origin, "the link points at the server under test");
    const token = link.searchParams.get("token");
    await withPage(browser, async (page) => {
      await signIn(page, base(), token);
    });
    await withPage(
      browser,
      async (page) => {
        const again = await page.goto(link.href, { waitUntil: "load" });
        assert.equal(again.status(), 401, "a used sign-in link is refused");
        await assertRefusalPage(page, again);
        assert.ok(await noSession(page), "no session from a used link");
      },
      { allowConsole: [/status of 401/] },
    );
  });

  test("a bogus token in a sign-in link is refused", async (t) => {
    await withPage(
      browser,
      async (page) => {
        const response = await page.goto(`${base()}/sign-in?token=rpt_${"0".repeat(64)}`, { waitUntil: "load" });
        assert.equal(response.status(), 401);
        assert.equal(new URL(page.url()).pathname, "/sign-in", "a refused link does not redirect");
        await assertRefusalPage(page, response);
        await checkPage(t, page, "sign-in-refused");
      },
      { allowConsole: [/status of 401/] },
    );
  });

  test("signing out ends the session: the front page sends the browser to sign in again", async () => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), env("RAPPORT_TOKEN_VIEWER"));
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button[data-sign-out]")]);
      assert.equal(new URL(page.url()).pathname, "/sign-in");
      const response = await page.goto(`${base()}/`, { waitUntil: "load" });
      assert.equal(response.request().redirectChain()[0]?.response()?.status(), 303, "signed out again");
      assert.equal(new URL(page.url()).pathname, "/sign-in");
    });
  });
});

// ---------------------------------------------------------------------------
describe("my day /", () => {
  const sections = ["Alerts to handle", "Tasks due", "Accounts that moved most", "Renewals in the next 90 days"];

  async function sectionHeadings(page) {
    return page.$$eval("main section h2", (h2s) => h2s.map((h2) => h2.textContent.trim()));
  }

  /** My day as shown against its JSON twin, GET /api/me/day with the same person's token. */
  async function assertMatchesApi(page, token) {
    const day = (await api("/api/me/day", token)).json;
    assert.ok(day, "GET /api/me/day answers");
    const figures = await page.$$eval("main .cards .card", (cards) => cards.map((c) => c.querySelector("a, b")?.textContent.trim()));
    assert.deepEqual(
      figures.slice(0, 3).map(Number),
      [day.alertsOpen, day.tasksDue, day.renewals.length],
      "the cards count the API's open alerts, tasks due and renewals",
    );
    const names = (section) =>
      page.$$eval(`section[aria-labelledby="${section}"] tbody tr`, (rows) =>
        rows.map((row) => row.querySelector("a[href^='/accounts/']")?.textContent.trim()).filter(Boolean),
      );
    assert.deepEqual(await names("alerts-h"), day.alerts.map((a) => a.accountName), "Alerts to handle: the API's, in order");
    assert.deepEqual(await names("tasks-h"), day.tasks.map((t) => t.accountName), "Tasks due: the API's, in order");
    assert.deepEqual(
      await names("moved-h"),
      [...day.falling, ...day.rising].map((r) => r.account.name),
      "Accounts that moved most: the API's falling, then rising",
    );
    assert.deepEqual(await names("renewals-h"), day.renewals.map((r) => r.account.name), "Renewals: the API's, in order");
    const today = new Date().toISOString().slice(0, 10);
    const horizon = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    for (const renewal of day.renewals) {
      assert.ok(
        renewal.account.renewalDate >= today && renewal.account.renewalDate <= horizon,
        `${renewal.account.name} renews ${renewal.account.renewalDate}, within 90 days`,
      );
    }
  }

  test("an admin lands on My day: greeting, the four sections, alert buttons", async (t) => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), env("RAPPORT_TOKEN_ADMIN"));
      assert.match(await page.title(), /My day · Rapport/);
      assert.equal(await heading(page), "Good day, admin");
      assert.deepEqual(await sectionHeadings(page), sections);
      const current = await page.$$eval('nav[aria-label="Main"] a[aria-current="page"]', (links) =>
        links.map((a) => a.getAttribute("href")),
      );
      assert.deepEqual(current, ["/"], "the main navigation marks My day as the current page");
      const alertRows = await page.$$('section[aria-labelledby="alerts-h"] tbody tr');
      assert.ok(alertRows.length > 0, "the demo portfolio raises alerts, and My day lists some");
      await assertMatchesApi(page, env("RAPPORT_TOKEN_ADMIN"));
      for (const label of ["Acknowledge", "Snooze 7 days", "Resolve"]) {
        const buttons = await page.$$eval('section[aria-labelledby="alerts-h"] button', (all, wanted) =>
          all.filter((b) => b.textContent.trim() === wanted).length, label);
        assert.ok(buttons > 0, `an admin gets "${label}" buttons on the alerts`);
      }
      await checkPage(t, page, "my-day-admin");
    });
  });

  for (const role of ["leader", "csm", "viewer"]) {
    test(`a ${role} lands on My day greeted by name`, async (t) => {
      await withPage(browser, async (page) => {
        await signIn(page, base(), env(`RAPPORT_TOKEN_${role.toUpperCase()}`));
        const name = { leader: "Lena Leader", csm: env("RAPPORT_CSM_NAME"), viewer: "Victor Viewer" }[role];
        assert.equal(await heading(page), `Good day, ${name}`);
        assert.deepEqual(await sectionHeadings(page), sections);
        await assertMatchesApi(page, env(`RAPPORT_TOKEN_${role.toUpperCase()}`));
        const writes = await page.$$("main button[data-api]");
        if (role === "viewer") {
          assert.equal(writes.length, 0, "a viewer is offered no button that changes anything");
        }
        await checkPage(t, page, `my-day-${role}`);
      });
    });
  }
});

// ---------------------------------------------------------------------------
describe("API reference /api/docs", () => {
  test("is public, readable and accessible", async (t) => {
    await withPage(browser, async (page) => {
      const response = await page.goto(`${base()}/api/docs`, { waitUntil: "load" });
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"] ?? "", /^text\/html/);
      assert.match(response.headers()["content-security-policy"] ?? "", /script-src 'self'/);
      assert.match(await heading(page), /^Rapport API/);
      const openapi = await page.$$eval('a[href="/openapi.json"]', (links) => links.length);
      assert.ok(openapi > 0, "the page links the machine-readable description");
      const operations = await page.$$eval("section.op", (sections) => sections.length);
      assert.ok(operations > 10, `the page describes the operations (found ${operations})`);
      await checkPage(t, page, "api-docs", { showsCode: true });
    });
  });
});
