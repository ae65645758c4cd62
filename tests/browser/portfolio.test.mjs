// The admin's drill-down: /portfolio → a bar of "By tier" (an SVG link) →
// /accounts listing exactly that tier's accounts (checked against the JSON
// twin, GET /api/portfolio/accounts) → an account → each of its tabs.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, checkPage, env, fetchInPage, heading, launch, readCsv, shotAtWidths, signIn, tableColumn, withPage } from "./lib.mjs";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const adminToken = () => env("RAPPORT_TOKEN_ADMIN");

/** The account names the JSON twin lists for an /accounts query, in its order. */
async function apiAccountNames(search) {
  const query = new URLSearchParams(search);
  query.set("limit", "500");
  query.delete("offset");
  const answer = await api(`/api/portfolio/accounts?${query}`, adminToken());
  assert.equal(answer.status, 200, `GET /api/portfolio/accounts?${query}: ${answer.text.slice(0, 200)}`);
  return { total: answer.json.total, names: answer.json.rows.map((row) => row.account.name), rows: answer.json.rows };
}

/** The accounts table's names, in the page's order. */
const pageAccountNames = (page) => tableColumn(page, "main table.wide", "Account");

/** A chart's section (by its h3) → the hrefs of its SVG bars and of its table. */
async function chartLinks(page, title) {
  return page.evaluate((wanted) => {
    const section = [...document.querySelectorAll("main section.panel")].find(
      (s) => s.querySelector("h3")?.textContent.trim() === wanted,
    );
    if (!section) return null;
    return {
      bars: [...section.querySelectorAll("svg a")].map((a) => ({
        href: a.getAttribute("href"),
        label: a.getAttribute("aria-label"),
      })),
      table: [...section.querySelectorAll("details table a")].map((a) => a.getAttribute("href")),
      summary: section.querySelector("details summary")?.textContent.trim() ?? null,
    };
  }, title);
}

describe("portfolio → accounts → an account (admin)", () => {
  test("a bar of “By tier” opens exactly that tier's accounts, and an account's four tabs", async (t) => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());

      // -- /portfolio ------------------------------------------------------
      await page.goto(`${base()}/portfolio`, { waitUntil: "load" });
      assert.equal(await heading(page), "Portfolio engagement");
      const charts = {};
      for (const title of ["By revenue", "By tier", "By engagement band", "By multi-threaded users", "Revenue by engagement band"]) {
        const links = await chartLinks(page, title);
        assert.ok(links, `the portfolio has a chart "${title}"`);
        assert.ok(links.bars.length > 0, `"${title}": its bars are links`);
        for (const bar of links.bars) {
          assert.match(bar.href, /^\/accounts\?/, `"${title}": a bar opens /accounts (${bar.href})`);
          assert.ok(bar.label, `"${title}": a bar link has a name (aria-label)`);
        }
        assert.match(links.summary ?? "", / as a table$/, `"${title}" has its "… as a table"`);
        assert.deepEqual(links.table, links.bars.map((bar) => bar.href), `"${title}": the table links what the bars link`);
        charts[title] = links;
      }
      const matrixLinks = await page.$$eval("table.matrix a", (links) =>
        links.map((a) => ({ href: a.getAttribute("href"), text: a.textContent.replace(/\s+/g, " ").trim() })),
      );
      assert.equal(matrixLinks.length, 4, "the low engagement × at risk matrix has four cells, each a link");
      const hot = matrixLinks.find((cell) => /low=true&risk=true$/.test(cell.href));
      assert.ok(hot, `a matrix cell opens the low-engagement at-risk accounts: ${JSON.stringify(matrixLinks)}`);
      const showAll = await page.$$eval("main a", (links) =>
        links.filter((a) => a.textContent.trim() === "Show all").map((a) => a.getAttribute("href")),
      );
      assert.equal(showAll.length, 1, 'the "Highest revenue with low engagement" panel has a "Show all" link');
      await checkPage(t, page, "portfolio");

      // -- the matrix's cells and "Show all": as many accounts as they say --
      await t.test("the matrix's cells and “Show all” open the accounts they count", async () => {
        for (const cell of [...matrixLinks, { href: showAll[0], text: null }]) {
          const response = await page.goto(`${base()}${cell.href}`, { waitUntil: "load" });
          assert.equal(
            response.status(),
            200,
            `${cell.href} (from the portfolio) answers ${response.status()}: ` +
              `“${await page.$eval("main", (m) => m.innerText.replace(/\s+/g, " ").slice(0, 200))}”`,
          );
          assert.equal(await heading(page), "Accounts");
          const names = await pageAccountNames(page);
          const fromApi = await apiAccountNames(new URL(page.url()).search);
          if (cell.text !== null) {
            const count = Number(/^(\d+) accounts?/.exec(cell.text)?.[1]);
            assert.equal(fromApi.total, count, `the matrix cell says “${cell.text}”; the API lists ${fromApi.total}`);
          }
          if (fromApi.total > 0) assert.deepEqual(names, fromApi.names, `${cell.href}: the table is the API's`);
        }
      });

      // -- click a bar of "By tier" ---------------------------------------
      await page.goto(`${base()}/portfolio`, { waitUntil: "load" });
      const tierBars = charts["By tier"].bars.map((bar) => ({
        ...bar,
        count: Number(/\((\d+)\)/.exec(bar.label)?.[1] ?? NaN),
      }));
      const chosen = tierBars.filter((bar) => bar.count > 1).sort((a, b) => b.count - a.count)[0] ?? tierBars[0];
      const tier = new URL(chosen.href, base()).searchParams.get("tier");
      assert.ok(tier, `the "By tier" bar links a tier: ${chosen.href}`);
      const bar = await page.$(`svg a[href="${chosen.href}"]`);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), bar.click()]);
      const accountsUrl = new URL(page.url());
      assert.equal(accountsUrl.pathname, "/accounts", "the bar opens the accounts page");
      assert.equal(accountsUrl.searchParams.get("tier"), tier);
      assert.equal(await heading(page), "Accounts");

      const shown = await pageAccountNames(page);
      const expected = await apiAccountNames(`tier=${encodeURIComponent(tier)}`);
      assert.deepEqual(shown, expected.names, `the ${tier} accounts, as GET /api/portfolio/accounts?tier=${tier} lists them`);
      assert.equal(shown.length, chosen.count, `the bar says ${chosen.count} accounts (${chosen.label})`);
      const tiers = await tableColumn(page, "main table.wide", "Tier");
      assert.ok(tiers.every((cell) => cell.toLowerCase() === tier.toLowerCase()), `every row is ${tier}: ${tiers}`);
      // The same, fetched in the page with the session.
      const inPage = JSON.parse((await fetchInPage(page, `/api/portfolio/accounts?tier=${tier}`)).text);
      assert.deepEqual(inPage.rows.map((row) => row.account.name), expected.names, "the session's own API answer agrees");
      const tierAccounts = readCsv(path.join(env("RAPPORT_DEMO_DIR"), "accounts.csv")).filter(
        (account) => account.tier === tier && account.status === "active",
      );
      assert.deepEqual([...shown].sort(), tierAccounts.map((account) => account.name).sort(), "…and accounts.csv's active ones");

      // The CSV link: the same query, as CSV, the same accounts.
      const csvHref = await page.$eval("nav.pager a[download]", (a) => a.getAttribute("href"));
      const csvUrl = new URL(csvHref, base());
      assert.equal(csvUrl.pathname, "/api/portfolio/accounts");
      assert.equal(csvUrl.searchParams.get("format"), "csv");
      assert.equal(csvUrl.searchParams.get("tier"), tier, "the CSV link keeps the filter");
      const csv = await fetchInPage(page, csvHref);
      assert.equal(csv.status, 200);
      assert.match(csv.contentType, /^text\/csv/);
      const csvFile = path.join(os.tmpdir(), `rapport-accounts-${process.pid}.csv`);
      fs.writeFileSync(csvFile, csv.text);
      const csvRows = readCsv(csvFile);
      fs.rmSync(csvFile);
      const nameKey = Object.keys(csvRows[0] ?? {}).find((key) => /name/.test(key)) ?? "name";
      assert.deepEqual(csvRows.map((row) => row[nameKey]), expected.names, "the CSV lists the table's accounts");
      await checkPage(t, page, "accounts-tier");

      // Sorting by a column header: the page's order is the API's for that query.
      const arrHeader = await page.$$eval("main table.wide thead th a", (links) =>
        links.filter((a) => /^ARR/.test(a.textContent.trim())).map((a) => a.getAttribute("href")),
      );
      assert.equal(arrHeader.length, 1, "the ARR column header is a link");
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`main table.wide thead th a[href="${arrHeader[0]}"]`)]);
      const sortedUrl = new URL(page.url());
      assert.equal(sortedUrl.searchParams.get("tier"), tier, "sorting keeps the filter");
      const sortedAriaSort = await page.$$eval("main table.wide thead th[aria-sort]", (ths) =>
        ths.map((th) => `${th.textContent.trim()}:${th.getAttribute("aria-sort")}`),
      );
      assert.equal(sortedAriaSort.length, 1, `one column says it is the sort: ${sortedAriaSort}`);
      assert.match(sortedAriaSort[0], /^ARR/);
      assert.deepEqual(await pageAccountNames(page), (await apiAccountNames(sortedUrl.search)).names, "the sorted table is the API's order");

      // -- an account, tab by tab -----------------------------------------
      const first = await page.$("main table.wide tbody tr td a");
      const accountName = (await first.evaluate((a) => a.textContent)).trim();
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), first.click()]);
      const accountPath = new URL(page.url()).pathname;
      assert.match(accountPath, /^\/accounts\/[0-9a-f-]{36}$/);
      assert.equal(await heading(page), accountName);

      const tabs = await page.$$eval('nav[aria-label="Account sections"] a', (links) =>
        links.map((a) => ({ label: a.textContent.trim(), href: a.getAttribute("href") })),
      );
      assert.deepEqual(tabs.map((tab) => tab.label), ["Engagement", "Success", "Health", "Activity"]);
      const expectations = {
        Engagement: ["Overall engagement", "Score composition", "Six months of engagement", "Impact on renewal and expansion", "Recommended actions"],
        Success: ["Goals", "Milestones", "Value and ROI"],
        Health: ["Health score", "Components", "Early-warning signals", "Playbooks", "Override history"],
        Activity: [],
      };
      for (const tab of tabs) {
        await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`nav[aria-label="Account sections"] a[href="${tab.href}"]`)]);
        const current = await page.$$eval('nav[aria-label="Account sections"] a[aria-current="page"]', (links) =>
          links.map((a) => a.textContent.trim()),
        );
        assert.deepEqual(current, [tab.label], `the ${tab.label} tab is marked current`);
        const h3s = await page.$$eval("main h3", (all) => all.map((h3) => h3.textContent.trim()));
        for (const wanted of [...expectations[tab.label], "Tasks", "Quick actions"]) {
          assert.ok(h3s.includes(wanted), `the ${tab.label} tab shows "${wanted}" (has: ${h3s.join(", ")})`);
        }
        if (tab.label === "Engagement") {
          assert.ok(await page.$("figure.gauge svg[role=img][aria-label]"), "the engagement gauge is a named SVG");
          const summaries = await page.$$eval("details.action > summary", (all) => all.map((s) => s.textContent.trim()));
          for (const wanted of ["Schedule engagement review", "Create re-engagement campaign", "Add new goal", "Share with customer", "Draft exec meeting request"]) {
            assert.ok(summaries.includes(wanted), `an admin gets the quick action "${wanted}"`);
          }
        }
        if (tab.label === "Activity") {
          const entries = await page.$$("ol.timeline li");
          assert.ok(entries.length > 0, "the activity timeline lists something");
        }
        // Links to a place on a page must find it.
        const fragments = await page.$$eval('main a[href*="#"]', (links) =>
          links
            .map((a) => ({ url: new URL(a.href), text: a.textContent.trim() }))
            .filter(({ url }) => url.hash.length > 1)
            .map(({ url, text }) => ({ where: url.pathname + url.search, id: url.hash.slice(1), text })),
        );
        await t.test(`${tab.label} tab: its links to a place on the page find it`, async () => {
          const here = new URL(page.url());
          const missing = [];
          for (const { where, id, text } of fragments) {
            if (where === here.pathname + here.search && !(await page.$(`[id="${id}"]`))) missing.push(`“${text}” → #${id}`);
          }
          assert.deepEqual(missing, [], `${tab.label} tab: ${missing.join(", ")} find no element with that id`);
        });
        await checkPage(t, page, `account-${tab.label.toLowerCase()}`);
      }
    },
    // A drill-down link the server refuses is failed by its own subtest above
    // (naming the link and the page's message), not twice.
    { allowConsole: [/status of 400/] });
  });

  test("the portfolio's filter form: every bar of every chart opens as many accounts as it counts", async () => {
    const csm = "Nina White";
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/portfolio`, { waitUntil: "load" });
      await page.select("#p-csm", csm);
      await page.select("#p-period", "14d");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('form[aria-label="Portfolio filters"] button[type="submit"]'),
      ]);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get("csm"), csm);
      assert.equal(url.searchParams.get("period"), "14d");
      assert.match(await page.$eval("main > p.muted", (p) => p.textContent), new RegExp(`of ${csm}`), "the page says whose accounts");
      const mismatches = [];
      for (const title of ["By revenue", "By tier", "By engagement band", "By multi-threaded users", "Revenue by engagement band"]) {
        const { bars } = await chartLinks(page, title);
        for (const bar of bars) {
          const query = new URL(bar.href, base()).searchParams;
          if (query.get("csm") !== csm) mismatches.push(`${title} “${bar.label}” drops the CSM filter: ${bar.href}`);
          const count = Number(/\((\d+)\)/.exec(bar.label)?.[1]);
          const listed = await apiAccountNames(query.toString());
          if (listed.total !== count) mismatches.push(`${title} “${bar.label}” counts ${count}; ${bar.href} lists ${listed.total}`);
        }
      }
      assert.deepEqual(mismatches, [], "every bar opens what it counts");
      const demo = readCsv(path.join(env("RAPPORT_DEMO_DIR"), "accounts.csv")).filter(
        (account) => account.csm === csm && account.status === "active",
      );
      const tierTotal = (await chartLinks(page, "By tier")).bars.reduce((sum, bar) => sum + Number(/\((\d+)\)/.exec(bar.label)[1]), 0);
      assert.equal(tierTotal, demo.length, `"By tier" counts ${csm}'s ${demo.length} active accounts`);
      // The same page as above with other figures: screenshots only (its axe
      // findings are the unfiltered page's).
      await shotAtWidths(page, "portfolio-filtered");
    });
  });

  test("the accounts table's pager walks every account once, in the API's order", async () => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/accounts?limit=5&sort=name`, { waitUntil: "load" });
      const everyone = await apiAccountNames("sort=name");
      const seen = [];
      for (let step = 0; step < 10; step += 1) {
        const rows = await pageAccountNames(page);
        assert.ok(rows.length <= 5, "five rows a page");
        seen.push(...rows);
        const pager = await page.$eval("nav.pager", (nav) => nav.innerText.replace(/\s+/g, " "));
        assert.match(pager, new RegExp(`Rows ${seen.length - rows.length + 1}–${seen.length} of ${everyone.total}`));
        const next = await page.$$("nav.pager a:not([download])");
        const nextLink = [];
        for (const link of next) if (/^Next/.test((await link.evaluate((a) => a.textContent)).trim())) nextLink.push(link);
        if (nextLink.length === 0) break;
        await Promise.all([page.waitForNavigation({ waitUntil: "load" }), nextLink[0].click()]);
        assert.equal(new URL(page.url()).searchParams.get("sort"), "name", "the pager keeps the sort");
      }
      assert.deepEqual(seen, everyone.names, "page by page, the API's accounts in its order, each once");
      const previous = await page.$$eval("nav.pager a", (links) => links.map((a) => a.textContent.trim()));
      assert.ok(previous.some((text) => /^← Previous/.test(text)), "the last page links back");
    });
  });

  test("the activity tab's type filter shows only the types ticked", async () => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());
      const { names, rows } = await apiAccountNames("tier=");
      assert.ok(names.length > 0);
      await page.goto(`${base()}/accounts/${rows[0].account.id}?tab=activity`, { waitUntil: "load" });
      const kinds = await page.$$eval('input[name="type"]', (inputs) => inputs.map((i) => i.value));
      assert.ok(kinds.includes("email"), `the types offered: ${kinds}`);
      for (const kind of kinds) {
        const box = await page.$(`input[name="type"][value="${kind}"]`);
        const checked = await box.evaluate((input) => input.checked);
        if (checked !== (kind === "email")) await box.click();
      }
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click('form[aria-label="Activity types"] button[type="submit"]')]);
      const url = new URL(page.url());
      assert.deepEqual(url.searchParams.getAll("type"), ["email"]);
      const chips = await page.$$eval("ol.timeline li .chip", (all) => all.map((chip) => chip.textContent.trim()));
      assert.ok(chips.length > 0, "the account has e-mails to show");
      assert.deepEqual([...new Set(chips)], ["E-mail"], "only e-mails are listed");
      const ticked = await page.$$eval('input[name="type"]:checked', (inputs) => inputs.map((i) => i.value));
      assert.deepEqual(ticked, ["email"], "the filter shows what is ticked");
    });
  });
});
