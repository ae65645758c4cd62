// Model settings and alert watches: an admin changes a band threshold on
// /settings/model, previews what it would do, saves it as a new version and
// sees the accounts' bands change through the API; a person watches an
// account's alerts from its page and their day lists the watch.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, checkPage, env, launch, signIn, withPage } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const base = () => env("RAPPORT_BASE");
const adminToken = () => env("RAPPORT_TOKEN_ADMIN");

describe("model settings (admin)", () => {
  test("change a band, preview, save: the API's bands change and the version is kept", async (t) => {
    const before = (await api("/api/portfolio/accounts?limit=1000&status=active", adminToken())).json;
    const highly = before.rows.filter((row) => row.engagementBand === "highly_engaged");
    assert.ok(highly.length > 0, "some accounts are highly engaged to start with");
    // The lowest score of the band: raising the band's start above it moves that account.
    const lowest = Math.min(...highly.map((row) => row.engagement));
    const threshold = Math.min(99, Math.floor(lowest) + 1);
    await withPage(browser, async (page) => {
      page.on("dialog", (dialog) => dialog.accept());
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/settings/model`, { waitUntil: "load" });
      await checkPage(t, page, "model-settings");
      await page.$eval('input[name="bands.highly_engaged"]', (input, value) => {
        input.value = String(value);
      }, threshold);
      const previewed = page.waitForResponse((r) => r.url().endsWith("/api/models/engagement/preview"));
      await page.click("#model-form button[type=submit]:not([data-api])");
      const preview = await (await previewed).json();
      await page.waitForSelector("#preview table");
      const moved = before.rows.filter((row) => row.engagementBand === "highly_engaged" && row.engagement < threshold);
      assert.equal(preview.bandChanges, moved.length, "the preview moves exactly the accounts below the new start");
      const shown = await page.$eval("#preview p", (p) => p.textContent);
      assert.match(shown, new RegExp(`^${moved.length} of ${preview.accounts} active accounts would change band`));
      await checkPage(t, page, "model-preview");
      // Nothing changed yet.
      const still = (await api("/api/portfolio/accounts?limit=1000&status=active&band=highly_engaged", adminToken())).json;
      assert.equal(still.total, highly.length, "a preview saves nothing");
      await page.type("#m-note", "browser test: a stricter top band");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('#model-form button[data-api$="/versions"]'),
      ]);
      const after = (await api("/api/portfolio/accounts?limit=1000&status=active&band=highly_engaged", adminToken())).json;
      assert.equal(after.total, highly.length - moved.length, "the saved model is the one in use");
      const models = (await api("/api/models", adminToken())).json;
      const engagement = models.find((model) => model.role === "engagement");
      assert.equal(engagement.versions.at(-1).note, "browser test: a stricter top band");
      assert.equal(engagement.version, engagement.versions.at(-1).version);
      const versions = await page.$$eval("main table tbody tr", (rows) => rows.map((row) => row.textContent));
      assert.ok(versions.some((row) => row.includes("browser test: a stricter top band")), "the page lists the version");
    });
  });

  test("change a factor weight, preview, save: scores change as the preview said", async () => {
    await withPage(browser, async (page) => {
      page.on("dialog", (dialog) => dialog.accept());
      await signIn(page, base(), adminToken());
      await page.goto(`${base()}/settings/model`, { waitUntil: "load" });
      const field = 'input[name="factors.email_response_rate.weight"]';
      const weight = Number(await page.$eval(field, (input) => input.value));
      await page.$eval(field, (input, value) => {
        input.value = String(value);
      }, weight * 3);
      const previewed = page.waitForResponse((r) => r.url().endsWith("/api/models/engagement/preview"));
      await page.click("#model-form button[type=submit]:not([data-api])");
      const preview = await (await previewed).json();
      const changed = preview.rows.filter((row) => row.current !== null && row.proposed !== null && Math.abs(row.current - row.proposed) > 0.01);
      assert.ok(changed.length > 0, "tripling a weight moves some scores");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('#model-form button[data-api$="/versions"]'),
      ]);
      // Every account's score is now what the preview said it would be.
      const asOf = encodeURIComponent(preview.window.asOf);
      for (const row of changed.slice(0, 5)) {
        const table = (await api(`/api/portfolio/accounts?limit=1000&status=all&asOf=${asOf}&q=${encodeURIComponent(row.account.name)}`, adminToken())).json;
        const now = table.rows.find((r) => r.account.id === row.account.id);
        assert.ok(Math.abs(now.engagement - row.proposed) < 1e-6, `${row.account.name}: ${now.engagement} is the preview's ${row.proposed}`);
      }
      const models = (await api("/api/models", adminToken())).json;
      const factor = models.find((model) => model.role === "engagement").model.factors.find((f) => f.key === "email_response_rate");
      assert.equal(factor.weight, weight * 3);
    });
  });

  test("a CSM may not open the model settings", async () => {
    await withPage(
      browser,
      async (page) => {
        await signIn(page, base(), env("RAPPORT_TOKEN_CSM"));
        const response = await page.goto(`${base()}/settings/model`, { waitUntil: "load" });
        assert.equal(response.status(), 403);
      },
      { allowConsole: [/status of 403/] },
    );
  });
});

describe("alert watches", () => {
  test("a leader watches an account's alerts from its page and their day says so", async () => {
    const token = env("RAPPORT_TOKEN_LEADER");
    const accounts = (await api("/api/portfolio/accounts?limit=5&status=active", token)).json.rows;
    const account = accounts[0].account;
    await withPage(browser, async (page) => {
      await signIn(page, base(), token);
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      await page.$$eval("details.action summary", (all) => all.find((s) => s.textContent.trim() === "Set alerts").click());
      await page.select("#qa-watch", "critical");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('form[data-api$="/watch"] button[type=submit]'),
      ]);
      const watches = (await api("/api/me/watches", token)).json;
      assert.deepEqual(
        watches.map((watch) => [watch.customerId, watch.minPriority]),
        [[account.id, "critical"]],
      );
      await page.goto(`${base()}/`, { waitUntil: "load" });
      const intro = await page.$eval("main p.muted", (p) => p.textContent);
      assert.match(intro, /watching 1 account/);
      // Stop watching.
      await page.goto(`${base()}/accounts/${account.id}`, { waitUntil: "load" });
      await page.$$eval("details.action summary", (all) => all.find((s) => s.textContent.trim() === "Set alerts").click());
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('button[data-api$="/watch"][data-method="DELETE"]'),
      ]);
      assert.deepEqual((await api("/api/me/watches", token)).json, []);
    });
  });
});
