// The inboxes: /alerts (acknowledge, snooze, resolve, filters), /tasks
// (done, dismiss) and /settings/webhooks (add, remove; admins only), each
// action done on the page and checked through the JSON API.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, checkPage, env, heading, launch, signIn, withPage } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const adminToken = () => env("RAPPORT_TOKEN_ADMIN");

/** The buttons of the main table, one entry a button: { id, action, api, row }. */
async function rowButtons(page, pattern) {
  return page.$$eval(
    "main table.wide tbody button[data-api]",
    (buttons, source) => {
      const re = new RegExp(source);
      return buttons
        .map((b) => {
          const api = b.getAttribute("data-api");
          const match = re.exec(api);
          const rows = [...b.closest("tbody").children];
          return match && { id: Number(match[1]), action: match[2], api, label: b.textContent.trim(), row: rows.indexOf(b.closest("tr")) };
        })
        .filter(Boolean);
    },
    pattern.source,
  );
}

async function clickAndReload(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

async function alertById(id) {
  const all = await api("/api/alerts?status=all", adminToken());
  assert.equal(all.status, 200);
  return all.json.find((alert) => alert.id === id);
}

describe("alerts /alerts", () => {
  test("acknowledge one alert, resolve another, snooze a third; the filters show them", async (t) => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/alerts`, { waitUntil: "load" });
      assert.equal(await heading(page), "Alerts");
      await checkPage(t, page, "alerts");

      const buttons = await rowButtons(page, /^\/api\/alerts\/(\d+)\/(acknowledge|snooze|resolve)$/);
      const acknowledge = buttons.find((b) => b.action === "acknowledge");
      assert.ok(acknowledge, "an open alert offers Acknowledge");
      assert.equal(acknowledge.label, "Acknowledge");
      assert.equal((await alertById(acknowledge.id)).status, "open");
      await clickAndReload(page, `button[data-api="${acknowledge.api}"]`);
      const acknowledged = await alertById(acknowledge.id);
      assert.equal(acknowledged.status, "acknowledged", "the alert is acknowledged in GET /api/alerts?status=all");
      assert.equal(acknowledged.acknowledgedBy, "admin");

      // Another alert, resolved; a third, snoozed.
      const after = await rowButtons(page, /^\/api\/alerts\/(\d+)\/(acknowledge|snooze|resolve)$/);
      const resolve = after.find((b) => b.action === "resolve" && b.id !== acknowledge.id);
      assert.ok(resolve, "another alert offers Resolve");
      await clickAndReload(page, `button[data-api="${resolve.api}"]`);
      const resolved = await alertById(resolve.id);
      assert.equal(resolved.status, "resolved", "the other alert is resolved");
      assert.equal(resolved.resolvedBy, "admin");
      assert.equal(resolved.resolution, "handled from the dashboard");

      const later = await rowButtons(page, /^\/api\/alerts\/(\d+)\/(acknowledge|snooze|resolve)$/);
      const snooze = later.find((b) => b.action === "snooze" && ![acknowledge.id, resolve.id].includes(b.id));
      assert.ok(snooze, "a third alert offers Snooze 7 days");
      await clickAndReload(page, `button[data-api="${snooze.api}"]`);
      const snoozed = await alertById(snooze.id);
      assert.equal(snoozed.status, "snoozed");
      const days = (Date.parse(snoozed.snooze.until) - Date.now()) / 86_400_000;
      assert.ok(days > 6 && days <= 8, `snoozed for about 7 days (until ${snoozed.snooze.until})`);

      // The unresolved list no longer has the resolved one.
      const listed = (await rowButtons(page, /^\/api\/alerts\/(\d+)\/(acknowledge|snooze|resolve)$/)).map((b) => b.id);
      assert.ok(!listed.includes(resolve.id), "the resolved alert leaves the unresolved list");
      assert.ok(listed.includes(acknowledge.id), "the acknowledged one stays, without its Acknowledge button");
      assert.ok(
        !(await rowButtons(page, /^\/api\/alerts\/(\d+)\/(acknowledge)$/)).some((b) => b.id === acknowledge.id),
        "no Acknowledge button on an acknowledged alert",
      );

      // State filter: acknowledged.
      await page.select("#a-status", "acknowledged");
      await clickAndReload(page, 'form[aria-label="Filter the alerts"] button[type="submit"]');
      assert.equal(new URL(page.url()).searchParams.get("status"), "acknowledged");
      const states = await page.$$eval("main table.wide tbody tr", (rows) =>
        rows.map((row) => row.children[4]?.textContent.trim().split("\n")[0]),
      );
      assert.ok(states.length > 0 && states.every((s) => /^Acknowledged/.test(s)), `only acknowledged alerts: ${states}`);
      const fromApi = (await api("/api/alerts?status=acknowledged", adminToken())).json;
      assert.equal(states.length, fromApi.length, "as many as the API lists");

      // Resolved: the resolved one, with who and why.
      await page.goto(`${base()}/alerts?status=resolved`, { waitUntil: "load" });
      const resolvedText = await page.$eval("main table.wide tbody", (tbody) => tbody.innerText);
      assert.match(resolvedText, /by admin: handled from the dashboard/);
      await checkPage(t, page, "alerts-resolved");
    });
  });
});

describe("tasks /tasks", () => {
  test("mark one task done and dismiss another; the API agrees", async (t) => {
    await withPage(browser, async (page) => {
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/tasks`, { waitUntil: "load" });
      assert.equal(await heading(page), "Tasks");
      const open = (await api("/api/tasks", adminToken())).json;
      const rows = await page.$$eval("main table.wide tbody tr", (trs) => trs.length);
      assert.equal(rows, open.length, "the page lists the open tasks the API lists");
      await checkPage(t, page, "tasks");

      const buttons = await rowButtons(page, /^\/api\/tasks\/(\d+)\/(complete|dismiss)$/);
      const done = buttons.find((b) => b.action === "complete");
      assert.ok(done, "an open task offers Done");
      await clickAndReload(page, `button[data-api="${done.api}"]`);
      const dismiss = (await rowButtons(page, /^\/api\/tasks\/(\d+)\/(complete|dismiss)$/)).find(
        (b) => b.action === "dismiss" && b.id !== done.id,
      );
      assert.ok(dismiss, "another open task offers Dismiss");
      await clickAndReload(page, `button[data-api="${dismiss.api}"]`);

      const all = (await api("/api/tasks?status=all", adminToken())).json;
      const byId = (id) => all.find((task) => task.id === id);
      assert.equal(byId(done.id)?.state.status, "completed", "Done completes the task");
      assert.equal(byId(dismiss.id)?.state.status, "dismissed", "Dismiss dismisses it");
      assert.equal(byId(dismiss.id)?.state.reason, "not needed");

      await page.select("#t-status", "completed");
      await clickAndReload(page, 'form[aria-label="Filter the tasks"] button[type="submit"]');
      const completed = await page.$eval("main table.wide tbody", (tbody) => tbody.innerText);
      assert.match(completed, /Completed\s*\n?\s*by admin/, "the completed list says who did it");
      await page.goto(`${base()}/tasks?due=week`, { waitUntil: "load" });
      const dues = await page.$$eval("main table.wide tbody tr td:first-child", (tds) => tds.map((td) => td.textContent.trim()));
      const weekAhead = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
      for (const due of dues.filter((d) => /^\d{4}-/.test(d))) {
        assert.ok(due.slice(0, 10) <= weekAhead, `"due this week or overdue" lists ${due}`);
      }
    });
  });
});

describe("webhooks /settings/webhooks", () => {
  test("an admin adds a subscription and removes it", async (t) => {
    await withPage(browser, async (page) => {
      let confirmAnswer = true;
      const confirms = [];
      page.on("dialog", (dialog) => {
        confirms.push(dialog.message());
        return confirmAnswer ? dialog.accept() : dialog.dismiss();
      });
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/settings/webhooks`, { waitUntil: "load" });
      assert.equal(await heading(page), "Webhook subscriptions");
      const address = `https://hooks.example.com/rapport/${Date.now()}`;
      await page.type("#w-url", address);
      await page.type("#w-secret", "a-secret-of-twenty-chars");
      await page.type("#w-person", env("RAPPORT_CSM_NAME"));
      await page.select("#w-priority", "high");
      await clickAndReload(page, 'form[data-api="/api/webhooks"] button[type="submit"]');
      const hooks = (await api("/api/webhooks", adminToken())).json;
      const hook = hooks.find((h) => h.url === address);
      assert.ok(hook, `the subscription is in GET /api/webhooks: ${JSON.stringify(hooks)}`);
      assert.equal(hook.person, env("RAPPORT_CSM_NAME"));
      assert.equal(hook.minPriority, "high");
      const html = await page.content();
      assert.ok(html.includes(address), "the page lists it");
      assert.ok(!html.includes("a-secret-of-twenty-chars"), "the secret is never shown back");
      await checkPage(t, page, "webhooks");

      // Answering the confirm with Cancel keeps it.
      confirmAnswer = false;
      await page.click(`button[data-api="/api/webhooks/${hook.id}"]`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.match(confirms.at(-1) ?? "", /^Remove this subscription\?/, "Remove asks first");
      assert.ok((await api("/api/webhooks", adminToken())).json.some((h) => h.id === hook.id), "Cancel keeps the subscription");
      confirmAnswer = true;
      await clickAndReload(page, `button[data-api="/api/webhooks/${hook.id}"]`);
      const left = (await api("/api/webhooks", adminToken())).json;
      assert.ok(!left.some((h) => h.id === hook.id), "Remove deletes it");
      assert.ok(!(await page.content()).includes(address), "the page no longer lists it");
    });
  });

  test("a CSM is refused the webhooks page", async () => {
    await withPage(
      browser,
      async (page) => {
        await signIn(page, base(), env("RAPPORT_TOKEN_CSM"));
        const response = await page.goto(`${base()}/settings/webhooks`, { waitUntil: "load" });
        assert.ok([403, 404].includes(response.status()), `a CSM gets 403 or 404, not ${response.status()}`);
        assert.equal(await page.$("#w-url"), null, "no form to add one");
        const nav = await page.$$eval('nav[aria-label="Main"] a', (links) => links.map((a) => a.getAttribute("href")));
        assert.ok(!nav.includes("/settings/webhooks"), "the main navigation does not offer it to a CSM");
      },
      { allowConsole: [/status of 40[34]/] },
    );
  });
});
