// End-to-end test of the residents' question in headless Chromium, driven
// by playwright-core against a running `feedmap serve`. Called by
// tests/browser.rs, which starts the server:
//
//   node web/tests/question.e2e.mjs --base http://127.0.0.1:PORT --suite page|closed|widget|map \
//        --shots DIR [--chromium /usr/bin/chromium] [--postcode "DV1 1AA"] [--token PLANNER_TOKEN] \
//        [--named AREA_ID --name "Marlow Fen" --held AREA_ID --hood ID]
//
// - page: the public page (/question) by keyboard only: a phone number as
//   the place's name is refused, marked and focused, what was typed stays;
//   corrected, the answer is counted and the thanks (naming the area) has
//   the focus; an unknown postcode is marked at the postcode; axe-core
//   finds no violation.
// - closed: a region asking no question says so.
// - widget: the widget's question step (data-question="true") on another
//   origin's page, by keyboard; /v1/question read only once the step is
//   opened; the widget stays under 30 kB gzipped; axe-core.
// - map: the planners' map with answers counted: the residents' names
//   layer and its switch, the answers in the selected area's panel, the
//   held area released from the "Held for review" panel, a window of
//   answers excluded, the counts' CSV link; axe-core.
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
const suite = args.suite || 'page';
const shots = args.shots || 'target/screenshots';
mkdirSync(shots, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

let passed = 0;
function ok(what) {
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}

const browser = await chromium.launch({
  executablePath: args.chromium || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  ],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
const problems = [];
const requests = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('request', (r) => requests.push(r.url()));
page.on('requestfailed', (r) => {
  const why = r.failure() && r.failure().errorText;
  if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
});

// axe-core's WCAG 2.0–2.2 A and AA rules and best practices: no violation
// of any impact.
async function axe(p, what) {
  await p.addScriptTag({ content: axeSource });
  const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  assert.deepEqual(found, [], `axe-core on ${what}: ${found.join(' | ')}`);
  ok(`axe-core: no violation on ${what}`);
}

// The focused element, looking into the widget's shadow root.
function focused(p) {
  return p.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    const label = a.labels && a.labels[0] ? a.labels[0].textContent.trim() : null;
    return { tag: a.tagName, id: a.id, type: a.type || null, text: a.textContent.trim().slice(0, 80), label, cls: a.className || '' };
  });
}

// Presses Tab until `test` holds for the focused element (at most 40 times).
async function tabTo(p, test, what) {
  for (let i = 0; i < 40; i += 1) {
    await p.keyboard.press('Tab');
    const f = await focused(p);
    if (f && test(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

// The area a postcode is counted in: the finest layer's, as the lookup
// names the community.
async function areaOf(postcode) {
  const a = await (await fetch(`${base}/v1/feeds/lookup?q=${encodeURIComponent(postcode)}`)).json();
  return a.community;
}

async function pageSuite() {
  const postcode = args.postcode;
  const area = await areaOf(postcode);
  const q = await (await fetch(`${base}/v1/question`)).json();
  await page.goto(`${base}/question`, { waitUntil: 'load' });
  await page.locator('#question-form').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.locator('#name').getAttribute('maxlength'), String(q.max_name_chars));
  assert.equal(await page.locator('#stored').textContent(), q.stored);
  const extra = await page.locator('fieldset.extra legend').allTextContents();
  assert.equal(extra.length, q.questions.length);
  const platforms = await page.locator('#platforms-group input[type=checkbox]').count();
  assert.equal(platforms, q.platforms.length);
  ok(`the page shows the question: ${platforms} platforms, ${extra.length} questions of the force's own, what is stored before Send`);
  // Every input has a label; groups are fieldsets with a legend.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, button')]
    .filter((i) => !i.hidden && (i.tagName === 'BUTTON' ? !i.textContent.trim() : !(i.labels && i.labels.length))).map((i) => i.id));
  assert.deepEqual(unlabelled, []);
  const groups = await page.evaluate(() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
    .filter((i) => !(i.closest('fieldset') && i.closest('fieldset').querySelector('legend'))).map((i) => i.id));
  assert.deepEqual(groups, []);
  ok('every input is labelled and every group of choices is a fieldset with a legend');

  // Keyboard only: Tab to the postcode, type; Tab to the name, type a
  // telephone number; Space on Yes; Space on the first platform and on
  // the first choice of each extra question; Tab to Send, Enter.
  const first = await tabTo(page, (f) => f.tag === 'INPUT', 'the first input');
  assert.deepEqual([first.id, first.label], ['postcode', 'Postcode']);
  await page.keyboard.type(postcode);
  await tabTo(page, (f) => f.id === 'name', 'the name');
  await page.keyboard.type('0161 496 0000');
  await tabTo(page, (f) => f.type === 'radio', 'would you follow');
  await page.keyboard.press('Space');
  assert.ok(await page.locator('#follow-yes').isChecked(), 'Space chose Yes');
  await tabTo(page, (f) => f.type === 'checkbox', 'the platforms');
  await page.keyboard.press('Space');
  for (let i = 0; i < q.questions.length; i += 1) {
    await tabTo(page, (f) => f.id.startsWith(`q${i}-`), `question ${i}`);
    await page.keyboard.press('Space');
  }
  const send = await tabTo(page, (f) => f.id === 'send', 'Send');
  assert.equal(send.text, 'Send my answer');
  const seen = problems.length;
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#name').getAttribute('aria-invalid') === 'true', null, { timeout: 20_000 });
  problems.push(...problems.splice(seen).filter((p) => !p.includes('status of 400')));
  const refused = await page.evaluate(() => {
    const name = document.querySelector('#name');
    const ids = (name.getAttribute('aria-describedby') || '').split(/\s+/);
    return {
      focused: document.activeElement === name,
      described: ids.map((id) => document.getElementById(id)).filter(Boolean).map((e) => e.textContent).join(' | '),
      error: document.querySelector('#name-error').textContent,
      shown: !document.querySelector('#name-error').hidden,
      name: name.value,
      postcode: document.querySelector('#postcode').value,
      yes: document.querySelector('#follow-yes').checked,
      platform: document.querySelector('#platform-0').checked,
      status: document.querySelector('#result').textContent,
    };
  });
  assert.ok(refused.focused, 'the refused name has the focus');
  assert.ok(refused.shown && /phone/i.test(refused.error), refused.error);
  assert.ok(refused.described.includes(refused.error), `aria-describedby names the error: ${refused.described}`);
  assert.deepEqual([refused.name, refused.postcode, refused.yes, refused.platform], ['0161 496 0000', postcode, true, true]);
  ok(`a telephone number as the name is refused, marked (aria-invalid, described) and focused, everything typed kept: "${refused.error}"`);
  await page.screenshot({ path: join(shots, 'question-refused.png'), fullPage: true });
  await axe(page, 'the question page with a refusal shown');

  // Corrected from the keyboard, Enter in the box sends it.
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Marlow Fen');
  await page.keyboard.press('Enter');
  await page.locator('#result .thanks').waitFor({ timeout: 20_000 });
  const thanks = await page.evaluate(() => ({
    focused: document.activeElement === document.querySelector('#result'),
    role: document.querySelector('#result').getAttribute('role'),
    text: document.querySelector('#result').textContent,
    form: document.querySelector('#question-form').hidden,
  }));
  assert.ok(thanks.focused, 'the thanks has the focus');
  assert.equal(thanks.role, 'status');
  assert.ok(thanks.text.includes(area.name), `the thanks names ${area.name}: ${thanks.text}`);
  ok(`corrected, the answer is counted: "${thanks.text}" (focused, in a status region)`);
  await page.screenshot({ path: join(shots, 'question-thanks.png'), fullPage: true });
  await axe(page, 'the question page thanking');

  // An unknown postcode: marked at the postcode, focused.
  await page.goto(`${base}/question`, { waitUntil: 'load' });
  await page.locator('#question-form').waitFor({ state: 'visible', timeout: 20_000 });
  await tabTo(page, (f) => f.id === 'postcode', 'the postcode');
  await page.keyboard.type('ZZ9 9ZZ');
  await tabTo(page, (f) => f.type === 'radio', 'would you follow');
  await page.keyboard.press('Space');
  await tabTo(page, (f) => f.id === 'send', 'Send');
  const seen2 = problems.length;
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#postcode').getAttribute('aria-invalid') === 'true', null, { timeout: 20_000 });
  problems.push(...problems.splice(seen2).filter((p) => !p.includes('status of 422')));
  const unknown = await page.evaluate(() => ({
    focused: document.activeElement === document.querySelector('#postcode'),
    error: document.querySelector('#postcode-error').textContent,
    described: document.querySelector('#postcode').getAttribute('aria-describedby'),
  }));
  assert.ok(unknown.focused && unknown.error.length > 0 && unknown.described.includes('postcode-error'), JSON.stringify(unknown));
  ok(`an unknown postcode is marked at the postcode and focused: "${unknown.error}"`);
  // Nothing asked of another host.
  const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
  assert.deepEqual(outside, []);
  ok(`all ${requests.length} requests went to the server itself (no CDN, no fonts)`);
}

async function closedSuite() {
  await page.goto(`${base}/question`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#result').textContent.length > 0, null, { timeout: 20_000 });
  const said = await page.locator('#result').textContent();
  assert.ok(/has not opened the question/.test(said), said);
  assert.ok(await page.locator('#question-form').isHidden());
  // The one failed load is GET /v1/question's 404.
  problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 404')));
  ok(`a region asking nothing says so: "${said}"`);
  await axe(page, 'the question page of a region asking nothing');
}

async function widgetSuite() {
  const postcode = args.postcode;
  const area = await areaOf(postcode);
  const script = await (await fetch(`${base}/embed.js`)).text();
  const gz = gzipSync(Buffer.from(script), { level: 9 }).length;
  assert.ok(gz < 30 * 1024, `embed.js is ${gz} bytes gzipped`);
  ok(`embed.js with the question step is ${script.length} bytes, ${gz} gzipped (under 30 kB: the widget loads nothing else)`);
  const hostPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parish council news</title></head>
<body><main><h1>Parish council news</h1><p>Find your local police feeds.</p>
<script src="${base}/embed.js" data-postcode-box data-question="true"></script>
</main></body></html>`;
  const host = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(hostPage);
    } else {
      res.writeHead(204);
      res.end();
    }
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  const hostOrigin = `http://127.0.0.1:${host.address().port}`;
  try {
    await page.goto(hostOrigin + '/');
    const widget = page.locator('main > feedmap-widget');
    await widget.locator('input').waitFor();
    await tabTo(page, (f) => f.tag === 'INPUT', 'the widget\'s box');
    await page.keyboard.type(postcode);
    await page.keyboard.press('Enter');
    await widget.locator('li[data-feed]').first().waitFor({ timeout: 15_000 });
    assert.ok(!requests.some((u) => u.includes('/v1/question')), 'nothing of the question read before the step is opened');
    const open = await tabTo(page, (f) => f.cls.includes('open'), 'the question step');
    assert.equal(open.text, 'Tell us what you call this place');
    const opener = widget.locator('button.open');
    assert.equal(await opener.getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('Enter');
    await widget.locator('.q form input[type=text]').waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('feedmap-widget').shadowRoot.activeElement?.closest('.q'), null, { timeout: 15_000 });
    assert.equal(await opener.getAttribute('aria-expanded'), 'true');
    assert.ok(requests.some((u) => u === `${base}/v1/question`), 'the question read when opened');
    const inName = await focused(page);
    assert.equal(inName.label, 'What do you call the place where you live? (optional)', JSON.stringify(inName));
    ok('after the feeds, a button opens the question\'s short form (read only then); the focus goes to the name');
    await page.keyboard.type('Marlow Fen');
    await tabTo(page, (f) => f.type === 'radio', 'would you follow');
    await page.keyboard.press('Space');
    await tabTo(page, (f) => f.type === 'checkbox', 'a platform');
    await page.keyboard.press('Space');
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Send', 'Send');
    await page.keyboard.press('Enter');
    await widget.locator('.thanks').waitFor({ timeout: 15_000 });
    const done = await focused(page);
    assert.ok(done.cls.includes('thanks') && done.text.includes(area.name), JSON.stringify(done));
    ok(`the widget's answer is counted for ${area.name}; the thanks has the focus: "${done.text}"`);
    await page.screenshot({ path: join(shots, 'embed-question.png'), fullPage: true });
    await axe(page, 'the host page with the widget\'s question answered');
    const outside = requests.filter((u) => ![hostOrigin, new URL(base).origin].includes(new URL(u).origin));
    assert.deepEqual(outside, []);
    ok('the widget asked nothing of any other host');
  } finally {
    host.close();
  }
}

async function idle() {
  await page.waitForFunction(() => window.feedmap && window.feedmap.ready && window.feedmap.map.loaded(), null, { timeout: 60_000 });
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.feedmap.map;
    if (map.loaded() && map.areTilesLoaded()) resolve();
    else map.once('idle', resolve);
  }));
}

async function mapSuite() {
  const name = args.name;
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  await page.waitForFunction(() => window.feedmap.question && !document.querySelector('#question-section').hidden, null, { timeout: 20_000 });
  assert.ok(await page.locator('#names-switch').isVisible());
  assert.ok(await page.locator('#t-names').isChecked());
  const csv = await page.locator('#question-csv').getAttribute('href');
  assert.equal(csv, '/v1/question/counts.csv?layer=communities');
  const csvText = await page.evaluate(async (u) => (await fetch(u)).text(), csv);
  assert.ok(csvText.startsWith('layer,area_id,area_name,answers,kind,value,count'), csvText.slice(0, 80));
  ok('the question\'s section, the names switch and "Download counts (CSV)" show when the region asks the question');
  // The residents' name of the seeded area, as a label.
  const names = await page.evaluate(async () => (await (await fetch('/v1/question/names.geojson?layer=communities')).json()));
  const f = names.features.find((x) => x.properties.id === args.named || x.id === args.named);
  assert.ok(f, JSON.stringify(names));
  assert.equal(f.properties.name, name);
  await page.evaluate(([lon, lat]) => window.feedmap.map.jumpTo({ center: [lon, lat], zoom: 12 }), f.geometry.coordinates);
  await idle();
  const label = page.locator(`.area-label.residents-name[data-id="${args.named}"]`);
  await label.waitFor({ state: 'attached', timeout: 20_000 });
  const text = await label.textContent();
  assert.equal(text, `${name} · ${Math.round(f.properties.share * 100)} %`);
  ok(`the residents' names layer labels ${args.named} "${text}"`);
  // The switch, by keyboard.
  await page.locator('#t-names').focus();
  await page.keyboard.press('Space');
  assert.ok(await page.evaluate(() => document.body.classList.contains('hide-names')));
  assert.ok(await label.isHidden());
  await page.keyboard.press('Space');
  assert.ok(await label.isVisible() || await label.evaluate((n) => n.classList.contains('crowded')));
  ok('Space on "Residents\' names" hides the labels and shows them again');

  // The selected neighbourhood's panel: its answers.
  await page.locator(`#hoods button[data-id="${args.hood}"]`).click();
  await page.waitForFunction(() => document.querySelector('#detail .voice'), null, { timeout: 45_000 });
  const areas = await page.evaluate(async (h) => (await (await fetch('/v1/question/areas?layer=neighbourhoods')).json()).areas.find((a) => a.id === h), args.hood);
  const voice = await page.locator('#detail .voice').textContent();
  const pct = Math.round((100 * areas.follow.yes) / areas.answers);
  assert.ok(voice.includes(`${areas.answers} answers; ${pct} % would follow`), voice);
  assert.ok(voice.includes(`call it ${name}`), voice);
  ok(`the selected neighbourhood's panel says what residents answered: "${voice.slice(0, 120)}"`);

  // Planners: sign in; the held area, released by keyboard.
  await page.locator('#token-input').fill(args.token);
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#who').textContent.includes('planner-a'), null, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#holds h3'), null, { timeout: 20_000 });
  const heldTitle = await page.locator('#holds h3').textContent();
  assert.equal(heldTitle, 'Held for review (1)');
  const row = page.locator(`#holds li[data-area="${args.held}"]`);
  const rowText = await row.textContent();
  assert.ok(/attempts to answer since/.test(rowText), rowText);
  ok(`"Held for review" lists the burst's area: ${rowText.slice(0, 140)}`);
  await page.locator('#detail .voice details.exclude summary').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(shots, 'question-holds.png'), fullPage: true });
  await axe(page, 'the map with the question\'s section, a hold and the exclusion form');
  await row.locator('button.hold-release').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#holds h3') && document.querySelector('#holds h3').textContent === 'Held for review (0)', null, { timeout: 20_000 });
  const after = await page.evaluate(async (t) => (await (await fetch('/v1/question/holds', { headers: { Authorization: `Bearer ${t}` } })).json()), args.token);
  const h = after.holds.find((x) => x.area_id === args.held);
  assert.equal(h.status, 'released');
  await page.waitForFunction(() => document.activeElement === document.querySelector('#holds h3'), null, { timeout: 20_000 });
  assert.ok((await page.locator('#question-status').textContent()).startsWith('Released'));
  ok('Release (Enter) releases the hold at its version; the list and the status say so, the focus stays in the panel');

  // Exclude a window of the neighbourhood's answers: the reason is asked
  // for first; then its answers are left out.
  const detailsBox = page.locator('#detail .voice details.exclude');
  await detailsBox.locator('summary').focus();
  await page.keyboard.press('Enter');
  const form = detailsBox.locator('form');
  const pad = (n) => String(n).padStart(2, '0');
  const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const now = Date.now();
  await form.getByLabel('From').fill(local(new Date(now - 2 * 86_400_000)));
  await form.getByLabel('To').fill(local(new Date(now + 2 * 3_600_000)));
  await form.getByRole('button', { name: 'Exclude these answers' }).click();
  const reason = form.getByLabel('Reason');
  assert.equal(await reason.getAttribute('aria-invalid'), 'true');
  assert.ok(await reason.evaluate((e) => e === document.activeElement), 'the reason has the focus');
  ok('the exclusion form asks for a reason first (marked, described, focused)');
  await page.keyboard.type('a leaflet drop counted twice');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#question-status').textContent.startsWith('Excluded'), null, { timeout: 20_000 });
  await page.waitForFunction((h) => {
    const v = document.querySelector('#detail .voice');
    return v && v.textContent.includes('fewer than');
  }, args.hood, { timeout: 20_000 });
  const left = await page.locator('#detail .voice').textContent();
  ok(`the window is excluded; the panel now says "${left.slice(0, 100)}"`);
  const mapErrors = await page.evaluate(() => window.feedmap.errors);
  assert.deepEqual(mapErrors, []);
}

try {
  if (suite === 'page') await pageSuite();
  else if (suite === 'closed') await closedSuite();
  else if (suite === 'widget') await widgetSuite();
  else if (suite === 'map') await mapSuite();
  else throw new Error(`unknown suite ${suite}`);
  assert.deepEqual(problems, [], 'console errors or failed requests');
  ok('no console errors or failed requests');
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  await page.screenshot({ path: join(shots, `question-${suite}-failure.png`) }).catch(() => {});
  console.log(`not ok - ${e.message}`);
  if (problems.length) console.log(`problems seen: ${problems.join('\n  ')}`);
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
