// A CSM sees their own accounts only (docs/security.md): those naming them
// as CSM or manager. Every page that lists accounts is read as the CSM and
// each account it names or links is checked against the admin's view.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, checkPage, env, heading, launch, signIn, sorted, tableColumn, withPage } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const csmName = () => env("RAPPORT_CSM_NAME");
const same = (a, b) => (a ?? "").trim().toLowerCase() === (b ?? "").trim().toLowerCase();

/** Every account, as the admin sees it: { id → account }. */
async function everyAccount() {
  const answer = await api("/api/portfolio/accounts?status=all&limit=500", env("RAPPORT_TOKEN_ADMIN"));
  assert.equal(answer.status, 200);
  return new Map(answer.json.rows.map((row) => [row.account.id, row.account]));
}

const isTheirs = (account) => same(account.csm, csmName()) || same(account.manager, csmName());

/** The accounts a page links (/accounts/{id}), as ids. */
async function linkedAccountIds(page) {
  return page.$$eval("main a[href^='/accounts/']", (links) =>
    [...new Set(links.map((a) => /^\/accounts\/([0-9a-f-]{36})/.exec(a.getAttribute("href"))?.[1]).filter(Boolean))],
  );
}

function assertAllTheirs(ids, accounts, where) {
  const strangers = ids.map((id) => accounts.get(id)).filter((account) => !account || !isTheirs(account));
  assert.deepEqual(
    strangers.map((account) => account?.name ?? "an unknown account"),
    [],
    `${where} links accounts that are not ${csmName()}'s`,
  );
}

describe("a CSM's scope", () => {
  test("the accounts table, the portfolio, My day, alerts and tasks show only the CSM's accounts; another's account is a 404 page", async (t) => {
    const accounts = await everyAccount();
    const theirs = [...accounts.values()].filter(isTheirs);
    const others = [...accounts.values()].filter((account) => !isTheirs(account));
    assert.ok(theirs.length > 0 && others.length > 0, "the demo gives the CSM some accounts, not all");
    const theirActive = theirs.filter((account) => account.status === "active");

    await withPage(
      browser,
      async (page) => {
        await signIn(page, base(), env("RAPPORT_TOKEN_CSM"));
        assertAllTheirs(await linkedAccountIds(page), accounts, "My day");

        // /accounts: exactly their active accounts, each row theirs.
        await page.goto(`${base()}/accounts`, { waitUntil: "load" });
        const names = await tableColumn(page, "main table.wide", "Account");
        assert.deepEqual(sorted(names), sorted(theirActive.map((a) => a.name)), "the accounts table lists exactly theirs");
        const csms = await tableColumn(page, "main table.wide", "CSM");
        assert.ok(csms.every((csm) => same(csm, csmName())), `every row's CSM is ${csmName()}: ${csms}`);
        assertAllTheirs(await linkedAccountIds(page), accounts, "/accounts");
        const text = await page.$eval("main table.wide", (table) => table.innerText);
        for (const account of others) {
          assert.ok(!text.includes(account.name), `/accounts names ${account.name}, not ${csmName()}'s`);
        }
        await checkPage(t, page, "accounts-csm");
        // Every status too (churned ones included).
        await page.goto(`${base()}/accounts?status=all`, { waitUntil: "load" }).catch(() => {});
        if ((await heading(page)) === "Accounts") {
          assertAllTheirs(await linkedAccountIds(page), accounts, "/accounts?status=all");
        }

        // /portfolio: its accounts are theirs, its counts are of theirs.
        await page.goto(`${base()}/portfolio`, { waitUntil: "load" });
        assertAllTheirs(await linkedAccountIds(page), accounts, "/portfolio");
        const cardText = await page.$eval("main .cards", (cards) => cards.innerText);
        const engaged = /\((\d+) of (\d+);/.exec(cardText);
        assert.ok(engaged, `the portfolio says "N of M" accounts engaged: ${cardText}`);
        assert.equal(Number(engaged[2]), theirActive.length, `the portfolio counts ${csmName()}'s ${theirActive.length} active accounts`);
        const tierCounts = await page.$$eval("main section.panel", (sections) => {
          const tier = sections.find((s) => s.querySelector("h3")?.textContent.trim() === "By tier");
          return [...(tier?.querySelectorAll("svg a") ?? [])].map((a) => Number(/\((\d+)\)/.exec(a.getAttribute("aria-label"))?.[1] ?? 0));
        });
        assert.equal(tierCounts.reduce((sum, n) => sum + n, 0), theirActive.length, `"By tier" counts their accounts: ${tierCounts}`);
        const portfolioText = await page.$eval("main", (main) => main.innerText);
        for (const account of others) {
          assert.ok(!portfolioText.includes(account.name), `/portfolio names ${account.name}, not ${csmName()}'s`);
        }
        await checkPage(t, page, "portfolio-csm");

        // /alerts and /tasks.
        for (const where of ["/alerts?status=all", "/tasks?status=all"]) {
          await page.goto(`${base()}${where}`, { waitUntil: "load" });
          assertAllTheirs(await linkedAccountIds(page), accounts, where);
        }

        // Another CSM's account: a 404 page naming nothing of it.
        const other = others.find((account) => account.status === "active") ?? others[0];
        const response = await page.goto(`${base()}/accounts/${other.id}`, { waitUntil: "load" });
        assert.equal(response.status(), 404, `${csmName()} opening ${other.name} (${other.csm}'s) gets 404`);
        assert.match(response.headers()["content-type"] ?? "", /^text\/html/, "…as a page");
        const body = await page.content();
        assert.ok(!body.includes(other.name), `the 404 page names ${other.name}`);
        await checkPage(t, page, "account-not-theirs");
        for (const tab of ["success", "health", "activity"]) {
          const tabResponse = await page.goto(`${base()}/accounts/${other.id}?tab=${tab}`, { waitUntil: "load" });
          assert.equal(tabResponse.status(), 404, `the ${tab} tab of ${other.name} is a 404 too`);
        }
        const fromApi = await api(`/api/intelligence/engagement/${other.id}`, env("RAPPORT_TOKEN_CSM"));
        assert.equal(fromApi.status, 404, "and so is its API");
      },
      { allowConsole: [/status of 404/] },
    );
  });

  test("a viewer is offered no action that changes anything on an account", async () => {
    const accounts = await everyAccount();
    const account = [...accounts.values()].find((a) => a.status === "active");
    await withPage(browser, async (page) => {
      await signIn(page, base(), env("RAPPORT_TOKEN_VIEWER"));
      for (const tab of ["engagement", "success", "health", "activity"]) {
        await page.goto(`${base()}/accounts/${account.id}?tab=${tab}`, { waitUntil: "load" });
        // Watching an account's alerts is a person's own, a viewer's too.
        const writes = await page.$$eval("main form[data-api], main button[data-api]", (all) =>
          all.map((element) => element.getAttribute("data-api")).filter((api) => !api.endsWith("/watch")),
        );
        assert.deepEqual(writes, [], `a viewer's ${tab} tab offers no change but watching`);
      }
    });
  });
});
