// End-to-end test of the embeddable widget in headless Chromium, driven by
// playwright-core: a page served here, on another origin than the feedmap
// server under test, embeds it with one script tag; a postcode typed with
// the keyboard shows the feeds the API gives; axe-core finds no serious
// accessibility violation; no request leaves the two origins. Then the
// same for the iframe page (/embed?postcode=…). Called by tests/browser.rs:
//
//   node web/tests/embed.e2e.mjs --base http://127.0.0.1:PORT --postcode "DV1 1AA" \
//        --limited-base URL --closed-base URL --shots DIR [--chromium /usr/bin/chromium]
//
// (--limited-base: a server that rate-limits this client hard;
// --closed-base: one whose --cors-origins leaves the test's page out.)
//
// Prints one line per check and exits non-zero on the first failure.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = args.base;
const postcode = args.postcode;
const shots = args.shots || 'target/screenshots';
mkdirSync(shots, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

let passed = 0;
function ok(what) {
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}

// The widget is small: under 30 kB gzipped.
const script = await (await fetch(`${base}/embed.js`)).text();
const gz = gzipSync(Buffer.from(script)).length;
assert.ok(gz < 30 * 1024, `embed.js is ${gz} bytes gzipped`);
ok(`embed.js is ${script.length} bytes, ${gz} gzipped`);

// What the API answers for the postcode, asked from here (not the page).
const expected = await (await fetch(`${base}/v1/feeds/lookup?q=${encodeURIComponent(postcode)}`)).json();
const expectedIds = expected.feeds.map((f) => f.feed_id);
assert.ok(expectedIds.length > 0, 'the postcode has feeds');

// The host page: another origin (another port), styling the widget with a
// custom property.
const accent = '#4c2c92';
const hostPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parish council news</title>
<style>body{font-family:Georgia,serif;margin:2rem} feedmap-widget{--feedmap-accent:${accent}}</style></head>
<body><main><h1>Parish council news</h1><p>Follow your local police on social media.</p>
<script src="${base}/embed.js" data-postcode-box></script>
<h2>In a frame</h2>
<iframe title="Your local police feeds" width="560" height="420" src="${base}/embed?postcode=${encodeURIComponent(postcode)}"></iframe>
</main></body></html>`;
const host = createServer((req, res) => {
  if (req.url === '/favicon.ico') {
    res.writeHead(204);
    res.end();
  } else if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(hostPage);
  } else if (req.url === '/limited' || req.url === '/closed') {
    // The widget from a server that limits this client hard, or that does
    // not allow this site.
    const from = req.url === '/limited' ? args['limited-base'] : args['closed-base'];
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Parish council news</title></head>
<body><main><h1>Parish council news</h1><script src="${from}/embed.js" data-postcode-box></script></main></body></html>`);
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
const hostOrigin = `http://127.0.0.1:${host.address().port}`;
const origins = new Set([hostOrigin, new URL(base).origin]);
for (const other of [args['limited-base'], args['closed-base']]) if (other) origins.add(new URL(other).origin);

const browser = await chromium.launch({
  executablePath: args.chromium || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const problems = [];
const requests = [];
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1100 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  // Failed loads, by URL: the browser logs each as a console error.
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });

  await page.goto(hostOrigin + '/');
  const widget = page.locator('main > feedmap-widget');
  await widget.locator('input').waitFor();
  ok('the script tag put one widget on the page');

  // Keyboard only: Tab into the box (the first focusable thing), type,
  // Enter.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const a = document.activeElement;
    const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : a;
    return inner ? { tag: inner.tagName, label: inner.labels && inner.labels[0] && inner.labels[0].textContent } : null;
  });
  assert.deepEqual(focused, { tag: 'INPUT', label: 'Postcode or place' });
  ok('Tab reaches the labelled postcode box');
  await page.keyboard.type(postcode);
  await page.keyboard.press('Enter');
  const items = widget.locator('li[data-feed]');
  await items.first().waitFor({ timeout: 15_000 });
  const shown = await items.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-feed')));
  assert.deepEqual(shown, expectedIds);
  ok(`the typed postcode shows its ${shown.length} feeds in the API's order`);
  const status = widget.locator('[role=status]');
  assert.equal(await status.getAttribute('aria-live'), 'polite');
  const said = await status.innerText();
  for (const a of [expected.community, expected.neighbourhood].filter(Boolean)) {
    assert.ok(said.includes(a.name), `the answer names ${a.name}: ${said}`);
  }
  assert.ok((await widget.locator('.attribution').innerText()).length > 0, 'attribution shown');
  ok('the answer is in a polite live region, names the areas and shows the attribution');
  const hrefs = await items.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, expected.feeds.map((f) => f.url));
  // Tab order: box, button, then the feeds' links.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const onLink = await page.evaluate(() => document.activeElement.shadowRoot.activeElement.getAttribute('href'));
  assert.equal(onLink, hrefs[0]);
  ok('the feeds are links reached by Tab after the button');

  // Styled from the host page through a custom property.
  const bg = await widget.locator('button').evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.equal(bg, 'rgb(76, 44, 146)');
  ok('--feedmap-accent set by the host page styles the widget');
  await page.screenshot({ path: join(shots, 'embed-widget.png'), fullPage: true });

  // The iframe page answered its ?postcode= by itself.
  const frame = page.frameLocator('iframe');
  await frame.locator('li[data-feed]').first().waitFor({ timeout: 15_000 });
  const inFrame = await frame.locator('li[data-feed]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-feed')));
  assert.deepEqual(inFrame, expectedIds);
  ok('the iframe page looked up its ?postcode= and shows the same feeds');

  // An unknown postcode is said, in the live region.
  const input = widget.locator('input');
  await input.fill('ZZ9 9ZZ');
  await input.press('Enter');
  await widget.locator('.error').waitFor({ timeout: 15_000 });
  assert.match(await status.innerText(), /ZZ9 9ZZ/);
  const notFound = await widget.locator('.error').innerText();
  ok('an unknown postcode is reported in the live region');
  await input.fill(postcode);
  await input.press('Enter');
  await items.first().waitFor({ timeout: 15_000 });

  // Accessibility: axe-core (WCAG 2.0–2.2 A and AA rules and best
  // practices) on the host page with the answer shown, and on the iframe
  // page by itself.
  async function axe(p, what) {
    await p.addScriptTag({ content: axeSource });
    const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      serious.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
      [],
      `${what}: serious accessibility violations`,
    );
    ok(`axe-core: no serious or critical violation on ${what} (${result.violations.length} minor)`);
  }
  await axe(page, 'the host page with the widget');
  const framePage = await context.newPage();
  framePage.on('request', (r) => requests.push(r.url()));
  // A council's link carries tracking parameters: the page ignores them.
  await framePage.goto(`${base}/embed?postcode=${encodeURIComponent(postcode)}&utm_source=council&fbclid=x1`);
  await framePage.locator('li[data-feed]').first().waitFor({ timeout: 15_000 });
  ok('the iframe page with utm_source and fbclid in its URL still looks its postcode up');
  await axe(framePage, 'the iframe page');

  // Three troubles told apart: nothing found (above), too many requests
  // (with the wait the server gives), a site the server does not allow.
  const told = {};
  for (const [path, code] of [['/limited', 429], ['/closed', 403]]) {
    const other = await context.newPage();
    other.on('request', (r) => requests.push(r.url()));
    await other.goto(hostOrigin + path);
    const w = other.locator('main > feedmap-widget');
    const box = w.locator('input');
    await box.waitFor();
    for (let i = 0; i < 6 && !(await w.locator(`.error[data-status="${code}"]`).count()); i += 1) {
      await box.fill(postcode);
      await box.press('Enter');
      await w.locator('li[data-feed], .error').first().waitFor({ timeout: 15_000 });
    }
    told[code] = await w.locator(`.error[data-status="${code}"]`).innerText();
    await other.close();
  }
  assert.match(told[429], /^Too many requests just now; try again in \d+ s\.$/, told[429]);
  assert.match(told[403], /not allowed/, told[403]);
  assert.equal(new Set([notFound, told[429], told[403]]).size, 3);
  ok(`the widget tells three troubles apart: "${notFound}" / "${told[429]}" / "${told[403]}"`);

  const outside = requests.filter((u) => !origins.has(new URL(u).origin));
  assert.deepEqual(outside, [], "requests outside the test's origins");
  assert.ok(requests.some((u) => u.startsWith(`${base}/v1/feeds/lookup`)));
  ok(`all ${requests.length} requests went to the test's own origins`);
  // The one failed load is the unknown postcode's 404, which the browser
  // also logs as a console error.
  assert.deepEqual(failed, [`404 ${base}/v1/feeds/lookup?q=ZZ9%209ZZ`]);
  const loadErrors = problems.filter((p) => p.startsWith('console: Failed to load resource'));
  assert.equal(loadErrors.length, failed.length, problems.join('\n'));
  assert.deepEqual(problems.filter((p) => !loadErrors.includes(p)), []);
  ok('no console errors but the unknown postcode\'s 404');
} finally {
  await browser.close();
  host.close();
}
console.log(`${passed} passed, 0 failed`);
