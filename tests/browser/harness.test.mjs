// The harness's own tests: each check of lib.mjs must be able to fail. A
// small Node server on a loopback port serves pages under Rapport's own
// Content-Security-Policy (script-src 'self', no inline scripts), some
// clean, some broken on purpose; no Rapport server is needed.

import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { axe, collectConsoleErrors, horizontalOverflow, launch, shot, withPage, TABLET } from "./lib.mjs";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;

const routes = {
  "/clean": ["text/html", page("Clean", "<p>Nothing wrong here.</p>")],
  "/inline-script": ["text/html", page("Inline", "<script>window.ranInline = true</script>")],
  "/throws": ["text/html", page("Throws", '<script src="/boom.js"></script>')],
  "/boom.js": ["text/javascript", "throw new Error('boom from a same-origin script')"],
  "/too-wide": [
    "text/html",
    page(
      "Too wide",
      '<div class="scroller" style="overflow-x:auto"><table style="width:1500px"><tr><td>scrolls by itself</td></tr></table></div>' +
        '<p class="wide" style="width:1200px">sticks out</p>',
    ),
  ],
  "/image-without-alt": [
    "text/html",
    page(
      "Image",
      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" width="20" height="20">',
    ),
  ],
};

let server;
let origin;
let browser;
before(async () => {
  server = http.createServer((request, response) => {
    const route = routes[new URL(request.url, "http://x").pathname];
    if (!route) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    response.writeHead(200, { "content-type": `${route[0]}; charset=utf-8`, "content-security-policy": CSP });
    response.end(route[1]);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
});

describe("harness", () => {
  test("the CSP is enforced in these pages: a script tag added by the harness is refused", async () => {
    await withPage(
      browser,
      async (page) => {
        await page.goto(`${origin}/clean`);
        await page.addScriptTag({ content: "window.addedByTag = true" }).catch(() => {});
        assert.equal(await page.evaluate(() => window.addedByTag === true), false);
      },
      { allowConsole: [/Content Security Policy|CSP violation/] },
    );
  });

  test("axe-core runs under script-src 'self' and passes a clean page", async () => {
    await withPage(browser, async (page) => {
      await page.goto(`${origin}/clean`);
      const results = await axe(page, "harness-clean");
      assert.deepEqual(results.violations, []);
      assert.ok(results.passes.length > 0, "axe checked the page");
      assert.match(results.testEngine.version, /^\d+\.\d+\.\d+$/);
      assert.ok(fs.existsSync(await shot(page, "harness-clean")));
    });
  });

  test("axe fails a page with a critical violation and names the rule", async () => {
    await withPage(browser, async (page) => {
      await page.goto(`${origin}/image-without-alt`);
      await assert.rejects(axe(page, "harness-image-without-alt"), (error) => {
        assert.match(error.message, /\[critical\] image-alt/);
        assert.match(error.message, /harness-image-without-alt\.axe\.json/);
        return true;
      });
    });
  });

  test("horizontalOverflow names what sticks out, not what scrolls inside its own box", async () => {
    await withPage(browser, async (tab) => {
      await tab.setViewport({ ...TABLET });
      await tab.goto(`${origin}/clean`);
      const clean = await horizontalOverflow(tab);
      assert.ok(clean.scrollWidth <= clean.clientWidth);
      assert.deepEqual(clean.offenders, []);
      await tab.goto(`${origin}/too-wide`);
      const wide = await horizontalOverflow(tab);
      assert.ok(wide.scrollWidth > wide.clientWidth, "the page scrolls sideways");
      assert.deepEqual(wide.offenders.map((o) => o.path), ["main > p.wide"]);
    });
  });

  test("an inline script refused by the CSP is a console error", async () => {
    const context = await browser.createBrowserContext();
    try {
      const tab = await context.newPage();
      const watched = collectConsoleErrors(tab);
      await tab.goto(`${origin}/inline-script`);
      assert.equal(await tab.evaluate(() => window.ranInline === true), false, "the CSP blocked the script");
      assert.ok(
        watched.errors.some((error) => /Content Security Policy|CSP violation/.test(error)),
        `the CSP violation was recorded: ${JSON.stringify(watched.errors)}`,
      );
      assert.throws(() => watched.assertNone(), /the page logged errors/);
    } finally {
      await context.close();
    }
  });

  test("an uncaught exception is a page error, and withPage fails on it", async () => {
    await assert.rejects(
      withPage(browser, async (tab) => {
        await tab.goto(`${origin}/throws`);
      }),
      /page error: .*boom from a same-origin script/,
    );
  });
});
