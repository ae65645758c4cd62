// Journeys through Rapport's pages in Chromium, one `describe` a page.
// scripts/browser-tests serves a small demo portfolio and sets:
//   RAPPORT_BASE                      http://127.0.0.1:PORT
//   RAPPORT_DEMO_DIR                  the generated portfolio (accounts.csv …)
//   RAPPORT_TOKEN_ADMIN|LEADER|CSM|VIEWER   API tokens (also sign-in links' tokens)
//   RAPPORT_CSM_NAME                  the CSM user's name, a `csm` of accounts.csv
//   RAPPORT_SIGN_IN_LINK_VIEWER       a one-time link from `rapport users sign-in-link`
//
// A new page gets its own `describe` below: sign in (signIn), check what the
// person must see, then shotAtWidths + axe, inside withPage (which fails the
// journey on any console error, CSP violations included).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  assertNoHorizontalScroll,
  axe,
  env,
  heading,
  launch,
  readCsv,
  shotAtWidths,
  signIn,
  sorted,
  tableColumn,
  withPage,
  TABLET,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const demoAccounts = () => readCsv(path.join(env("RAPPORT_DEMO_DIR"), "accounts.csv"));
const sameName = (a, b) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The account names a person of this name sees as a CSM (docs/security.md). */
function accountsOfCsm(name) {
  return demoAccounts()
    .filter((account) => sameName(account.csm, name) || sameName(account.manager ?? "", name))
    .map((account) => account.name);
}

/** The names in the front page's account table. */
const frontPageAccounts = (page) => tableColumn(page, "table", "Account");

// ---------------------------------------------------------------------------
describe("signing in", () => {
  // Today a signed-out browser gets the API's 401 JSON at `/`. When the
  // dashboard brings its sign-in page (docs/security.md, "Not done yet"),
  // this journey changes to: `/` sends a signed-out person to that page.
  test("signed out, the front page shows no account and asks for credentials", async () => {
    await withPage(
      browser,
      async (page) => {
        const response = await page.goto(`${base()}/`, { waitUntil: "load" });
        assert.equal(response.status(), 401);
        assert.match(response.headers()["www-authenticate"] ?? "", /^Bearer\b/);
        assert.match(response.headers()["content-type"] ?? "", /^application\/json/);
        const body = await response.text();
        assert.match(JSON.parse(body).error, /sign in/);
        for (const account of demoAccounts()) {
          assert.ok(!body.includes(account.name), `the signed-out answer names ${account.name}`);
        }
        const cookies = await page.browserContext().cookies();
        assert.ok(!cookies.some((cookie) => cookie.name === "rapport_session"), "no session without signing in");
      },
      // Chromium logs the refused document itself as a failed load.
      { allowConsole: [/status of 401/] },
    );
  });

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
        const cookies = await page.browserContext().cookies();
        assert.ok(!cookies.some((cookie) => cookie.name === "rapport_session"), "no session from a used link");
      },
      { allowConsole: [/status of 401/] },
    );
  });

  test("a bogus token in a sign-in link is refused", async () => {
    await withPage(
      browser,
      async (page) => {
        const response = await page.goto(`${base()}/sign-in?token=rpt_${"0".repeat(64)}`, { waitUntil: "load" });
        assert.equal(response.status(), 401);
        assert.equal(new URL(page.url()).pathname, "/sign-in", "a refused link does not redirect");
      },
      { allowConsole: [/status of 401/] },
    );
  });
});

// ---------------------------------------------------------------------------
// The front page: today a plain account list; it becomes "My day".
describe("front page /", () => {
  test("an admin signs in with a link, lands on the front page and sees every account", async () => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), env("RAPPORT_TOKEN_ADMIN"));
      assert.match(await page.title(), /Rapport/);
      assert.equal(await heading(page), "Rapport");
      const expected = demoAccounts().map((account) => account.name);
      assert.ok(expected.length > 0, "the demo portfolio has accounts");
      assert.deepEqual(sorted(await frontPageAccounts(page)), sorted(expected));
      await shotAtWidths(page, "front-admin");
      await axe(page, "front-admin");
      await page.setViewport({ ...TABLET });
      await assertNoHorizontalScroll(page);
    });
  });

  test("a CSM sees only the accounts naming them as CSM or manager", async () => {
    const csm = env("RAPPORT_CSM_NAME");
    const theirs = accountsOfCsm(csm);
    const everyone = demoAccounts().map((account) => account.name);
    assert.ok(theirs.length > 0, `${csm} is the CSM of some demo account`);
    assert.ok(theirs.length < everyone.length, `${csm} is not the CSM of every demo account`);
    await withPage(browser, async (page) => {
      await signIn(page, base(), env("RAPPORT_TOKEN_CSM"));
      const shown = await frontPageAccounts(page);
      assert.deepEqual(sorted(shown), sorted(theirs), `${csm}'s front page lists exactly their accounts`);
      const others = everyone.filter((name) => !theirs.includes(name));
      const text = await page.evaluate(() => document.body.innerText);
      for (const name of others) {
        assert.ok(!text.includes(name), `${csm}'s front page names ${name}, an account that is not theirs`);
      }
      await shotAtWidths(page, "front-csm");
      await axe(page, "front-csm");
    });
  });

  for (const role of ["leader", "viewer"]) {
    test(`a ${role} sees every account`, async () => {
      await withPage(browser, async (page) => {
        await signIn(page, base(), env(`RAPPORT_TOKEN_${role.toUpperCase()}`));
        const expected = demoAccounts().map((account) => account.name);
        assert.deepEqual(sorted(await frontPageAccounts(page)), sorted(expected));
      });
    });
  }
});

// ---------------------------------------------------------------------------
describe("API reference /api/docs", () => {
  test("is public, readable and accessible", async () => {
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
      await shotAtWidths(page, "api-docs");
      await axe(page, "api-docs");
    });
  });
});
