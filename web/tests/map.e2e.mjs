// End-to-end test of the planners' map in headless Chromium, driven by
// playwright-core against a running `feedmap serve`. Called by the Rust
// test tests/browser.rs, which starts the server:
//
//   node web/tests/map.e2e.mjs --base http://127.0.0.1:PORT --suite demo|gm|basemap|boroughs|print|national|decide|decided|redraw|owners|contacts \
//        --shots DIR [--chromium /usr/bin/chromium] [--expect-hoods N --expect-communities N] [--expect-missing KEY,KEY] \
//        [--token PLANNER_TOKEN] [--places NAME|NAME…]
//
// Prints one line per check and exits non-zero on the first failure.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestPairs } from './colour.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = args.base;
const suite = args.suite || 'demo';
const shots = args.shots || 'target/screenshots';
mkdirSync(shots, { recursive: true });

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
// A region that asks residents no question answers GET /v1/question with
// a 404, which is how the map learns to leave the question's controls out;
// the browser logs that expected 404 as an error.
const noQuestion = (m) => m.text().includes('status of 404') && (m.location().url || '').endsWith('/v1/question');
page.on('console', (m) => { if (m.type() === 'error' && !noQuestion(m)) problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
// MapLibre cancels the tile requests a move makes unnecessary; those are
// not failures.
page.on('requestfailed', (r) => {
  const why = r.failure() && r.failure().errorText;
  if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
});
// Nothing may leave the machine: every request goes to the server under test.
page.on('request', (r) => {
  if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) {
    problems.push(`request outside the server: ${r.url()}`);
  }
});

async function idle() {
  await page.waitForFunction(() => window.feedmap && window.feedmap.ready && window.feedmap.map.loaded(), null, { timeout: 60_000 });
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.feedmap.map;
    if (map.loaded() && map.areTilesLoaded()) resolve();
    else map.once('idle', resolve);
  }));
}

function countFeatures(source) {
  return page.evaluate((source) => {
    const f = window.feedmap;
    const layer = source === 'neighbourhoods' ? f.hoodLayer : f.commLayer;
    const ids = new Set(f.map.querySourceFeatures(source, { sourceLayer: layer }).map((x) => x.properties.id));
    return ids.size;
  }, source);
}

async function planRequests() {
  return page.evaluate(() => window.feedmap.planRequests);
}

async function setParam(name, value) {
  const before = await planRequests();
  const started = Date.now();
  await page.locator(`#p-${name}`).fill(String(value));
  await page.waitForFunction((n) => window.feedmap.planRequests > n, before, { timeout: 60_000 });
  await idle();
  return Date.now() - started;
}

// Clicks inside an area as a person would: the map is first centred on a
// point inside it (so no overlay covers it), then the mouse clicks there.
async function clickArea(layer, id) {
  const pt = await page.evaluate(async ({ layer, id }) => {
    const r = await fetch(`/map/points/${layer}?limit=5000`);
    const body = await r.json();
    return body.points.find((x) => x.id === id);
  }, { layer, id });
  await page.evaluate((pt) => { window.feedmap.map.jumpTo({ center: [pt.lon, pt.lat] }); }, pt);
  await idle();
  const p = await page.evaluate((pt) => {
    const xy = window.feedmap.map.project([pt.lon, pt.lat]);
    const rect = window.feedmap.map.getCanvas().getBoundingClientRect();
    return { x: rect.left + xy.x, y: rect.top + xy.y };
  }, pt);
  await page.mouse.click(p.x, p.y);
}

async function lookup(text, expect) {
  await page.locator('#lookup-input').fill(text);
  await page.locator('#lookup-input').press('Enter');
  await page.waitForFunction((e) => document.querySelector('#lookup-result').textContent.includes(e), expect, { timeout: 45_000 });
}

async function basics(expectHoods, expectComms) {
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  const canvas = await page.evaluate(() => {
    const c = window.feedmap.map.getCanvas();
    return { w: c.width, h: c.height, rendered: window.feedmap.map.queryRenderedFeatures().length };
  });
  assert.ok(canvas.w > 300 && canvas.h > 300, `canvas ${JSON.stringify(canvas)}`);
  assert.ok(canvas.rendered > 0, 'nothing rendered');
  ok(`map canvas renders (${canvas.w}×${canvas.h}, ${canvas.rendered} features drawn)`);
  const hoods = await countFeatures('neighbourhoods');
  const comms = await countFeatures('communities');
  assert.equal(hoods, expectHoods, 'neighbourhood features');
  assert.equal(comms, expectComms, 'community features');
  ok(`sources hold ${hoods} neighbourhoods and ${comms} communities`);
  const attribution = await page.locator('.maplibregl-ctrl-attrib').textContent();
  const region = await page.evaluate(() => window.feedmap.config.attribution);
  assert.ok(attribution.includes(region.slice(0, 30)), `attribution shown: ${attribution}`);
  ok('the region attribution is shown');
  const quiet = await page.evaluate(() => ({ shown: !document.querySelector('#no-basemap').hidden, text: document.querySelector('#no-basemap').textContent, base: Boolean(window.feedmap.config.basemap_style_url || window.feedmap.config.basemap) }));
  assert.equal(quiet.shown, !quiet.base, 'one quiet line when there is no base map');
  if (quiet.shown) assert.ok(quiet.text.includes('--basemap FILE.pmtiles'), quiet.text);
  ok(quiet.shown ? `without a base map one quiet line says how to add one: "${quiet.text}"` : 'a base map style is drawn');
  await readiness();
  await labelsFit();
  await classesApart();
}

// The classes communities are coloured by stay apart for common
// colour-vision deficiencies, and the legend lists each.
async function classesApart() {
  const { classes, background } = await page.evaluate(() => ({ classes: window.feedmap.classes, background: window.feedmap.background }));
  const closest = closestPairs(classes, background);
  for (const [vision, c] of Object.entries(closest)) {
    assert.ok(c.deltaE >= 15, `${vision}: ${c.pair.join(' and ')} only ${c.deltaE.toFixed(1)} ΔE00 apart`);
  }
  const legend = await page.evaluate(() => [...document.querySelectorAll('#legend-classes [data-class]')].map((d) => d.dataset.class));
  assert.deepEqual(legend, Object.keys(classes), 'the legend lists every class');
  ok(`the ${legend.length} community classes stay apart (closest pair, ΔE00): ${Object.entries(closest).map(([v, c]) => `${v} ${c.deltaE.toFixed(1)} (${c.pair.join('/')})`).join(', ')}`);
}

// At the opening view the labels shown lie inside the map and clear of
// each other (read from their boxes on the page), and the best chosen
// suggestion of each neighbourhood is named on the map.
async function labelsFit() {
  const r = await page.evaluate(() => {
    const view = window.feedmap.map.getContainer().getBoundingClientRect();
    const labels = [...document.querySelectorAll('.area-label')].map((n) => {
      const b = n.getBoundingClientRect();
      return { id: n.dataset.id, kind: n.className, text: n.textContent, shown: !n.classList.contains('crowded'), box: { l: b.left, r: b.right, t: b.top, b: b.bottom } };
    });
    const best = {};
    for (const c of window.feedmap.summary.communities) {
      if (c.chosen && (!best[c.neighbourhood] || c.rank < best[c.neighbourhood].rank)) best[c.neighbourhood] = c;
    }
    return { view: { l: view.left, r: view.right, t: view.top, b: view.bottom }, labels, best: Object.values(best) };
  });
  const shown = r.labels.filter((l) => l.shown);
  assert.ok(shown.length > 0, 'some labels are shown');
  for (const l of shown) {
    assert.ok(l.box.l >= r.view.l && l.box.r <= r.view.r && l.box.t >= r.view.t && l.box.b <= r.view.b, `label ${l.text} is cut by the map's edge: ${JSON.stringify(l.box)}`);
  }
  for (const [i, a] of shown.entries()) {
    for (const b of shown.slice(i + 1)) {
      const apart = a.box.r <= b.box.l || b.box.r <= a.box.l || a.box.b <= b.box.t || b.box.b <= a.box.t;
      assert.ok(apart, `labels ${a.text} and ${b.text} overlap`);
    }
  }
  const hoods = r.labels.filter((l) => l.kind.includes('hood'));
  assert.ok(hoods.every((l) => l.shown), `every neighbourhood is named: ${hoods.filter((l) => !l.shown).map((l) => l.text)}`);
  const named = new Set(shown.map((l) => l.id));
  const missing = r.best.filter((c) => !named.has(c.id) && !named.has(c.suggestion));
  assert.deepEqual(missing.map((c) => c.suggestion), [], 'the best chosen suggestion of each neighbourhood is named');
  ok(`labels fit at the opening view: ${shown.length} shown, ${r.labels.length - shown.length} left for closer zooms, none cut or overlapping; every neighbourhood and its best chosen suggestion (${r.best.length}) named`);
}

// The readiness report at the top of the map is the server's /health
// report: every input listed, what a missing one costs and where to get
// it, and the panel open when something is missing.
async function readiness() {
  await page.waitForFunction(() => !document.querySelector('#readiness').hidden, null, { timeout: 20_000 });
  const r = await page.evaluate(async () => (await (await fetch('/health')).json()).readiness);
  const shown = await page.evaluate(() => ({
    summary: document.querySelector('#readiness-summary').textContent,
    open: document.querySelector('#readiness').open,
    items: [...document.querySelectorAll('#readiness-items li')].map((li) => ({ key: li.dataset.key, cls: li.className, text: li.textContent })),
  }));
  assert.equal(shown.items.length, r.items.length, 'one line per input');
  for (const [i, item] of r.items.entries()) {
    const li = shown.items[i];
    assert.equal(li.key, item.key);
    assert.equal(li.cls, item.ready ? 'ready' : 'missing', item.key);
    assert.ok(li.text.includes(item.title) && li.text.includes(item.detail), `${item.key}: ${li.text}`);
    if (!item.ready) {
      assert.ok(li.text.includes(`Without it: ${item.costs}`) && li.text.includes(`Get it: ${item.get}`), `${item.key}: ${li.text}`);
    }
  }
  const missing = r.of - r.ready;
  assert.equal(shown.open, missing > 0, 'the panel opens when something is missing');
  assert.ok(missing > 0 ? shown.summary.includes(`lacks ${missing} of ${r.of}`) : shown.summary.includes('all its data'), shown.summary);
  ok(`the map shows the region's readiness: ${r.ready} of ${r.of} inputs${missing > 0 ? `, the missing ${shown.items.filter((x) => x.cls === 'missing').map((x) => x.key).join(', ')} with their cost and where to get them` : ''}`);
}

async function demo() {
  await basics(Number(args['expect-hoods'] || 8), Number(args['expect-communities'] || 37));
  // The overview the README shows: the neediest neighbourhood selected.
  await page.locator('#hoods button').first().click();
  await page.waitForFunction(() => document.querySelector('#detail .suggestion') !== null, null, { timeout: 45_000 });
  await page.evaluate(() => {
    const e = window.feedmap.config.layers.find((l) => l.role === 'neighbourhood').extent;
    window.feedmap.map.fitBounds([[e[0], e[1]], [e[2], e[3]]], { padding: { top: 60, bottom: 30, left: 250, right: 60 }, duration: 0 });
  });
  await idle();
  await page.screenshot({ path: join(shots, 'demo-map.png') });
  ok('overview screenshot with Marlow Fen selected');
  // Clicking a suggested community shows its reason.
  await clickArea('communities', 'DV01-C06');
  await page.waitForFunction(() => document.querySelector('#detail').textContent.includes('Little Wexcombe: 3,400 residents'), null, { timeout: 45_000 });
  const focused = await page.locator('#detail .suggestion.focus').first().textContent();
  assert.ok(focused.includes('Little Wexcombe'), focused);
  ok('clicking Little Wexcombe shows its reason in Marlow Fen');
  // The click also looked up the feeds at that point.
  await page.waitForFunction(() => document.querySelector('#lookup-result').textContent.includes('Little Wexcombe'), null, { timeout: 45_000 });
  ok('the click looked up the feeds there');
  // Moving the minimum population changes the suggestion list.
  const list = () => page.locator('#detail .suggestion strong').allTextContents();
  const before = await list();
  const ms = await setParam('min_population', 6000);
  await page.waitForFunction((b) => {
    const now = [...document.querySelectorAll('#detail .suggestion strong')].map((e) => e.textContent);
    return JSON.stringify(now) !== JSON.stringify(b);
  }, before, { timeout: 45_000 });
  const after = await list();
  assert.notDeepEqual(after, before);
  ok(`minimum population 6,000 re-plans in ${ms} ms: [${before.join(', ')}] → [${after.join(', ')}]`);
  await page.locator('#reset').click();
  await page.waitForFunction((b) => {
    const now = [...document.querySelectorAll('#detail .suggestion strong')].map((e) => e.textContent);
    return JSON.stringify(now) === JSON.stringify(b);
  }, before, { timeout: 45_000 });
  ok('reset restores the default plan');
  // Exports carry the parameters.
  const csv = await page.locator('#export-csv').getAttribute('href');
  assert.ok(csv.startsWith('/v1/plan.csv?') && csv.includes('min_population=3000'), csv);
  const r = await page.evaluate(async (u) => (await fetch(u)).status, csv);
  assert.equal(r, 200);
  ok('the CSV export link answers');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-png').click()]);
  const png = readFileSync(await download.path());
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  const size = { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
  const drawn = await page.evaluate(() => ({ ...window.feedmap.lastPng, canvas: [window.feedmap.map.getCanvas().width, window.feedmap.map.getCanvas().height], shown: [...document.querySelectorAll('.area-label:not(.crowded) .label-text')].length }));
  assert.deepEqual([size.width, size.height], drawn.canvas, 'the PNG is the map canvas');
  assert.equal(drawn.labels, drawn.shown, 'every label shown is in the PNG');
  assert.ok(png.length > 20_000, `${png.length} bytes`);
  writeFileSync(join(shots, 'view.png'), png);
  ok(`the map view saves as a ${size.width}×${size.height} PNG (${Math.round(png.length / 1024)} kB) with its ${drawn.labels} labels, as ${download.suggestedFilename()}`);
  // A demo postcode shows its feeds, most specific first.
  await lookup('dv1 1aa', '@MarlowMarketPolice');
  const first = await page.locator('#lookup-result .feeds li').first().textContent();
  assert.ok(first.includes('@MarlowMarketPolice') && first.includes('community feed'), first);
  ok('postcode DV1 1AA shows @MarlowMarketPolice first');
  // Keyboard: the neighbourhood list is reachable and works with Enter.
  await page.locator('#hoods button').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#detail h3') !== null, null, { timeout: 45_000 });
  ok('keyboard selects a neighbourhood');
  // Layer toggles.
  await page.locator('#t-communities').uncheck();
  const hidden = await page.evaluate(() => window.feedmap.map.getLayoutProperty('communities-fill', 'visibility'));
  assert.equal(hidden, 'none');
  await page.locator('#t-communities').check();
  ok('layer toggles hide and show');
  await idle();
  await clickArea('communities', 'DV01-C06');
  await page.waitForFunction(() => document.querySelector('#detail .suggestion.focus') !== null, null, { timeout: 45_000 });
  await idle();
  await page.screenshot({ path: join(shots, 'demo-map-final.png') });
}

async function gm() {
  await basics(Number(args['expect-hoods']), Number(args['expect-communities']));
  const ms = await setParam('min_population', 9000);
  ok(`re-plan on the GM data: ${ms} ms from the change to the repainted map`);
  await page.locator('#hoods button').first().click();
  await page.waitForFunction(() => document.querySelector('#detail .suggestion') !== null, null, { timeout: 45_000 });
  const reason = await page.locator('#detail .reason').first().textContent();
  assert.ok(/residents/.test(reason), reason);
  ok(`a locality's suggestions explain themselves: "${reason}"`);
  // ONS puts M15 4AB in Gorse Hill & Cornbrook ward: its feed comes first
  // after the polling district's (the most specific community there).
  await lookup('M15 4AB', '@GMP_E05015247');
  const text = await page.locator('#lookup-result').textContent();
  assert.ok(text.includes('community feed for Gorse Hill & Cornbrook') && !text.includes('null'), text);
  ok('postcode M15 4AB gets the Gorse Hill & Cornbrook ward feed');
  await idle();
  await page.screenshot({ path: join(shots, 'gm-trafford-map.png') });
  await residential();
}

// Where people live, on Trafford's postcodes: density at a neighbourhood
// zoom (Partington and the urban edge) and dots at a street zoom (Sale),
// from a handful of tile requests, never one per postcode; and the
// settlements outlined from /v1/settlements.
async function residential() {
  const requests = [];
  const count = (r) => { if (r.url().includes('/residential/')) requests.push(r.url()); };
  page.on('request', count);
  const view = async (center, zoom) => {
    await page.evaluate(([c, z]) => window.feedmap.map.jumpTo({ center: c, zoom: z }), [center, zoom]);
    await idle();
    return page.evaluate(() => {
      const map = window.feedmap.map;
      const cells = map.querySourceFeatures('residential', { sourceLayer: 'residential' });
      const dots = map.queryRenderedFeatures({ layers: ['residential-dots'] });
      return {
        cells: cells.length,
        points: cells.reduce((n, f) => n + f.properties.points, 0),
        dots: dots.length,
        heat: map.getLayoutProperty('residential-heat', 'visibility') !== 'none',
      };
    });
  };
  const hood = await view([-2.40, 53.42], 12);
  assert.ok(hood.heat && hood.cells > 50 && hood.points > 1000, JSON.stringify(hood));
  ok(`where people live at a neighbourhood zoom: ${hood.cells} density cells holding ${hood.points} postcodes`);
  await page.screenshot({ path: join(shots, 'gm-trafford-residential.png') });
  const street = await view([-2.323, 53.424], 16);
  assert.ok(street.dots > 20, JSON.stringify(street));
  ok(`where people live at a street zoom (Sale): ${street.dots} dots drawn`);
  await page.screenshot({ path: join(shots, 'gm-trafford-street.png') });
  page.off('request', count);
  assert.ok(requests.length > 0 && requests.length < 60, `${requests.length} density tile requests`);
  ok(`${requests.length} density tile requests for both views (11,264 postcodes): none per point`);
  const outlined = await page.evaluate(() => {
    const map = window.feedmap.map;
    map.jumpTo({ center: [-2.42, 53.415], zoom: 12 });
    return new Promise((resolve) => map.once('idle', () => resolve(
      map.queryRenderedFeatures({ layers: ['settlements-line'] }).map((f) => f.properties.name))));
  });
  assert.ok(outlined.includes('Partington'), JSON.stringify(outlined));
  ok('Partington is outlined as a settlement');
  await page.locator('#t-residential').uncheck();
  const hidden = await page.evaluate(() => window.feedmap.map.getLayoutProperty('residential-heat', 'visibility'));
  assert.equal(hidden, 'none');
  await page.locator('#t-residential').check();
  ok('the residential layer toggles');
}

async function national() {
  const t0 = Date.now();
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  ok(`the national map loads and plans in ${Date.now() - t0} ms`);
  const extent = await page.evaluate(() => window.feedmap.config.layers.find((l) => l.role === 'community').extent);
  const [w, s, e, n] = extent;
  const spots = [[(w + e) / 2, (s + n) / 2], [w + (e - w) * 0.2, s + (n - s) * 0.7], [w + (e - w) * 0.8, s + (n - s) * 0.3]];
  for (const [lon, lat] of spots) {
    for (const zoom of [8, 10, 12, 14, 16]) {
      const t = Date.now();
      await page.evaluate(({ lon, lat, zoom }) => { window.feedmap.map.jumpTo({ center: [lon, lat], zoom }); }, { lon, lat, zoom });
      await idle();
      const drawn = await page.evaluate(() => ({
        hoods: window.feedmap.map.queryRenderedFeatures({ layers: ['neighbourhoods-fill'] }).length,
        comms: window.feedmap.map.queryRenderedFeatures({ layers: ['communities-fill'] }).length,
      }));
      // Neighbourhoods at every zoom; communities once they are over two
      // pixels wide (tiles leave smaller areas out): here from zoom 10.
      assert.ok(drawn.hoods > 0, `no neighbourhood drawn at z${zoom}`);
      if (zoom >= 10) assert.ok(drawn.comms > 0, `no community drawn at z${zoom}`);
      console.log(`   z${zoom} at ${lon.toFixed(2)},${lat.toFixed(2)}: ${drawn.hoods} neighbourhood and ${drawn.comms} community features drawn, idle after ${Date.now() - t} ms`);
    }
    // Pan with the mouse as a person would.
    const box = await page.locator('#map').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 - 120, { steps: 8 });
    await page.mouse.up();
    await idle();
  }
  ok('pans and zooms 8–16 over 200,000 communities without errors');
  await page.screenshot({ path: join(shots, 'national-map.png') });
}

async function selectHood(id, waitFor) {
  await page.locator(`#hoods button[data-id="${id}"]`).click();
  await page.waitForFunction((w) => document.querySelector('#detail') && document.querySelector('#detail').textContent.includes(w), waitFor, { timeout: 45_000 });
}

async function featureStatus(id) {
  return page.evaluate((id) => {
    const f = window.feedmap;
    return f.map.getFeatureState({ source: 'communities', sourceLayer: f.commLayer, id }).status;
  }, id);
}

// A planner signs in, accepts Ravensholt Estate with a note, gives it a
// planned feed, and rejects Little Wexcombe. (The Rust test then restarts
// the server and runs `decided`.)
async function decide() {
  await basics(8, 37);
  assert.equal(await page.locator('.decide').count(), 0, 'no decision buttons before signing in');
  const seen = problems.length;
  await page.locator('#token-input').fill('wrong-token-0123456789');
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#edit-status').textContent.includes('not valid'), null, { timeout: 20_000 });
  // The browser logs the expected 401 of /v1/me; that one is no failure.
  const expected = problems.splice(seen).filter((p) => !p.includes('status of 401'));
  problems.push(...expected);
  ok('a wrong token is refused at the prompt');
  await page.locator('#token-input').fill(args.token);
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#who').textContent.includes('planner-a'), null, { timeout: 20_000 });
  ok('the planner token signs in as planner-a');
  await selectHood('DV03', 'Ravensholt Estate');
  const li = page.locator('#detail li.suggestion[data-id="DV03-C19"]');
  await li.locator('input.note').fill("the estate's residents' association asked for it");
  await li.locator('button.decide-accept').click();
  await page.waitForFunction(() => {
    const e = document.querySelector('#detail li.suggestion[data-id="DV03-C19"]');
    return e && e.textContent.includes('Accepted by planner-a');
  }, null, { timeout: 45_000 });
  ok('Accept on Ravensholt Estate is saved and shown');
  const form = page.locator('#detail li.suggestion[data-id="DV03-C19"] form.feed-form');
  await form.locator('select').selectOption('x');
  await form.locator('input[aria-label="Handle"]').fill('@RavensholtPolice');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => {
    const e = document.querySelector('#detail li.suggestion[data-id="DV03-C19"]');
    return e && e.textContent.includes('a feed is planned (@RavensholtPolice)');
  }, null, { timeout: 45_000 });
  ok('the feed-handle form adds a planned feed @RavensholtPolice');
  const rename = page.locator('#detail li.suggestion[data-id="DV03-C19"] form.rename-form');
  await rename.locator('input.rename').fill('Ravensholt');
  await rename.locator('button[type=submit]').click();
  await page.waitForFunction(() => {
    const e = document.querySelector('#detail li.suggestion[data-id="DV03-C19"]');
    return e && e.querySelector('.sugg-head strong').textContent === 'Ravensholt'
      && e.textContent.includes("the plan's name: Ravensholt Estate");
  }, null, { timeout: 45_000 });
  const renamed = await page.evaluate(async () => (await (await fetch('/v1/plan.csv')).text()));
  assert.ok(renamed.split('\n').some((l) => l.includes('DV03-C19') && l.includes(',Ravensholt,Ravensholt Estate,')), renamed);
  ok('Rename gives Ravensholt Estate the name "Ravensholt", shown on the map and in the CSV plan');
  await selectHood('DV01', 'Little Wexcombe');
  await page.locator('#detail li.suggestion[data-id="DV01-C06"] button.decide-reject').click();
  await page.waitForFunction(() => {
    const e = document.querySelector('#detail li[data-id="DV01-C06"]:not(.suggestion)');
    return e && e.textContent.includes('Rejected by planner-a');
  }, null, { timeout: 45_000 });
  assert.equal(await featureStatus('DV01-C06'), 'rejected');
  ok('Reject moves Little Wexcombe to "not suggested" and colours it as rejected');
  const stored = await page.evaluate(async () => (await (await fetch('/v1/decisions')).json()).count);
  assert.equal(stored, 2);
  await idle();
  await page.screenshot({ path: join(shots, 'decisions.png') });
  ok('the store holds both decisions');
}

// After a restart, in a fresh browser (not signed in): the decisions are
// still shown.
// A staged boundary release reviewed and activated on the map: the diff
// is drawn, a proposal confirmed, the release activated; the map then
// shows the new wards and the lookup the migrated feed, and "as of" a
// past date the old ward.
async function redraw() {
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  await page.locator('#token-input').fill(args.token);
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#who').textContent.includes('planner-a'), null, { timeout: 20_000 });
  const release = args.release;
  await page.locator(`#generations li[data-release="${release}"] button.review`).click();
  await page.waitForFunction(() => document.querySelectorAll('#proposals li').length > 0, null, { timeout: 45_000 });
  await idle();
  const drawn = await page.evaluate(() => {
    const m = window.feedmap.map;
    return { layers: ['diff-new-fill', 'diff-old-line'].every((l) => m.getLayer(l)), features: m.querySourceFeatures('diff').length };
  });
  assert.ok(drawn.layers && drawn.features > 0, JSON.stringify(drawn));
  ok(`the diff is drawn (${drawn.features} old and new outlines)`);
  await page.screenshot({ path: join(shots, 'redraw-diff.png') });
  const subject = `feed:${args.feed}`;
  const row = page.locator(`#proposals li[data-subject="${subject}"]`);
  assert.ok((await row.textContent()).includes(args['new-name']), await row.textContent());
  await row.locator('button').click();
  await page.waitForFunction((s) => {
    const li = document.querySelector(`#proposals li[data-subject="${s}"]`);
    return li && li.querySelector('.confirmed');
  }, subject, { timeout: 45_000 });
  ok(`the proposal for ${subject} is confirmed on the map`);
  await page.locator('#activate-form button').click();
  await page.waitForFunction(() => document.querySelector('#edit-status').textContent.includes('Activated'), null, { timeout: 45_000 });
  ok(await page.locator('#edit-status').textContent());
  await idle();
  const wards = async () => page.evaluate(() => {
    const f = window.feedmap;
    return [...new Set(f.map.querySourceFeatures('communities', { sourceLayer: f.commLayer }).map((x) => x.properties.id))];
  });
  await page.waitForFunction(({ n }) => {
    const f = window.feedmap;
    return f.map.querySourceFeatures('communities', { sourceLayer: f.commLayer }).some((x) => x.properties.id === n);
  }, { n: args['new-ward'] }, { timeout: 45_000 });
  const now = await wards();
  assert.ok(now.includes(args['new-ward']) && !now.includes(args['old-ward']), now.join(','));
  ok('the map shows the new wards');
  await lookup(args.postcode, args.handle);
  const text = await page.locator('#lookup-result').textContent();
  assert.ok(text.includes(`community feed for ${args['new-name']}`), text);
  ok(`postcode ${args.postcode} keeps its migrated feed ${args.handle}, now for ${args['new-name']}`);
  await page.locator('#at-input').fill('2023-01-01');
  await page.locator('#at-input').dispatchEvent('change');
  await lookup(args.postcode, `as of 2023-01-01`);
  const then = await page.locator('#lookup-result').textContent();
  assert.ok(then.includes(`community feed for ${args['old-name']}`), then);
  await idle();
  const before = await wards();
  assert.ok(before.includes(args['old-ward']), before.join(','));
  ok('as of 2023-01-01 the map and the lookup show the old ward');
  await page.screenshot({ path: join(shots, 'redraw-activated.png') });
}

// A reachable contact and a priority set today for every demo
// neighbourhood, as a planner would publish them (the API, not the map).
async function publishPages() {
  const today = (await (await fetch(`${base}/v1/releases`)).json()).today;
  const hoods = (await (await fetch(`${base}/v1/guarantee`)).json()).neighbourhoods;
  for (const h of hoods) {
    const url = `${base}/v1/neighbourhoods/${h.layer}/${h.id}`;
    for (const [list, body] of [
      ['people', { people: [{ name: 'PC Sam Ahmed', contact_details: { telephone: '101' } }] }],
      ['priorities', { priorities: [{ issue: 'Speeding', issue_date: today }] }],
    ]) {
      const etag = (await fetch(`${url}/page`)).headers.get('ETag');
      const r = await fetch(`${url}/${list}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${args.token}`, 'Content-Type': 'application/json', 'If-Match': etag },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 200, `${list} of ${h.id}: ${await r.text()}`);
    }
  }
  ok(`a contact and a priority published for each of the ${hoods.length} neighbourhoods`);
}

// Feed owners on the map: the health view lists what needs attention
// and marks those feeds on the map; a planner hands Saltings' X account
// (one administrator) to a new team, confirms the four steps, and the
// finding is gone; the consolidation plan is drawn.
async function owners() {
  // The Guarantee wants a published, reachable contact and current
  // priorities too: planners have recorded them for every neighbourhood,
  // so only DV08 (no update within the window) falls short.
  await publishPages();
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  await page.locator('#token-input').fill(args.token);
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#who').textContent.includes('planner-a'), null, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#guarantee').textContent.includes('7 of 8'), null, { timeout: 20_000 });
  ok(await page.locator('#guarantee').textContent());
  await page.locator('#show-health').click();
  await page.waitForFunction(() => document.querySelectorAll('#health-list li').length > 0, null, { timeout: 20_000 });
  const rows = await page.locator('#health-list li').count();
  assert.equal(rows, 8, 'feeds needing attention on the demo');
  const saltings = await page.locator('#health-list li[data-feed="DV06-X"]').textContent();
  assert.ok(saltings.includes('few administrators: one named administrator') && saltings.includes('Administrators: PCSO'), saltings);
  ok(`the health view lists ${rows} feeds, each finding explained; a signed-in planner sees administrators' names`);
  await page.waitForFunction(() => document.querySelector('.feed.bad[data-feed="DV08-X"]'), null, { timeout: 20_000 });
  assert.equal(await page.locator('.feed.bad[data-feed="DV01-X"]').count(), 0, 'a healthy feed is not marked');
  ok('feeds with findings are marked on the map, healthy ones are not');
  await page.screenshot({ path: join(shots, 'owners-health.png') });
  await page.locator('#health-list li[data-feed="DV06-X"] button.start-handover').click();
  await page.locator('#ho-team').fill('Saltings Response Team');
  await page.locator('#ho-admins').fill('PC Rowan Example, PCSO Ines Example');
  await page.locator('#ho-note').fill('the sergeant moves to Quayside');
  await page.locator('.handover-form button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#handovers li[data-feed="DV06-X"]'), null, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('.feed.handover[data-feed="DV06-X"]'), null, { timeout: 20_000 });
  ok('a handover is started on the map, listed open and marked on the feed');
  for (let k = 0; k < 4; k += 1) {
    const before = await page.locator('#handovers li[data-feed="DV06-X"] .done').count();
    assert.equal(before, k);
    await page.locator('#handovers li[data-feed="DV06-X"] button.confirm-step').first().click();
    if (k < 3) {
      await page.waitForFunction((n) => document.querySelectorAll('#handovers li[data-feed="DV06-X"] .done').length === n, k + 1, { timeout: 20_000 });
    }
  }
  await page.waitForFunction(() => document.querySelector('#edit-status').textContent.includes('completed'), null, { timeout: 20_000 });
  ok(await page.locator('#edit-status').textContent());
  await page.waitForFunction(() => !document.querySelector('#handovers li[data-feed="DV06-X"]') && !document.querySelector('#health-list li[data-feed="DV06-X"]'), null, { timeout: 20_000 });
  const owner = await page.evaluate(async (t) => (await (await fetch('/v1/feeds/DV06-X/owner', { headers: { Authorization: `Bearer ${t}` } })).json()).owner, args.token);
  assert.deepEqual(owner.administrators, ['PC Rowan Example', 'PCSO Ines Example']);
  assert.equal(owner.team, 'Saltings Response Team');
  ok('after the fourth step the feed is the new team\'s and its finding is gone');
  await page.locator('#show-consolidation').click();
  await page.waitForFunction(() => document.querySelectorAll('#changes li').length > 0, null, { timeout: 20_000 });
  const first = await page.locator('#changes li').first().textContent();
  assert.ok(first.includes('Merge @OldHarrowgateCops') && first.includes('into @DVP_Harrowgate'), first);
  await idle();
  const drawn = await page.evaluate(() => window.feedmap.map.querySourceFeatures('consolidation').length);
  assert.ok(drawn > 0, 'the consolidation areas are drawn');
  ok(`the consolidation plan is listed and drawn (${drawn} features): ${first.slice(0, 60)}…`);
  await page.locator('#changes li[data-feed="DV02-C08-X"] button.decide-reject').click();
  await page.waitForFunction(() => document.querySelector('#kept li[data-feed="DV02-C08-X"]') && !document.querySelector('#changes li[data-feed="DV02-C08-X"]'), null, { timeout: 20_000 });
  const kept = await page.locator('#kept li[data-feed="DV02-C08-X"]').textContent();
  assert.ok(kept.includes('Rejected by planner-a'), kept);
  ok('rejecting a consolidation suggestion on the map keeps the feed, listed apart');
  await page.screenshot({ path: join(shots, 'owners-consolidation.png') });
}

// A neighbourhood's published contacts and priorities on the map: a
// planner selects Marlow Fen (DV01) on the map, opens its editor with the
// keyboard, adds a contact and a priority, is refused a bad email (the
// refusal names the field, what was typed stays), corrects it and saves;
// the contact is then what data.police.uk-compatible clients read, the
// Guarantee line counts it, and a change made meanwhile elsewhere is not
// overwritten unseen.
async function contacts() {
  await page.goto(base + '/', { waitUntil: 'load' });
  await idle();
  await page.locator('#token-input').fill(args.token);
  await page.locator('#signin button').click();
  await page.waitForFunction(() => document.querySelector('#who').textContent.includes('planner-a'), null, { timeout: 20_000 });
  const guarantee = () => page.evaluate(async () => (await (await fetch('/v1/guarantee')).json()));
  const before = await guarantee();
  const row0 = before.neighbourhoods.find((n) => n.id === 'DV01');
  assert.ok(!row0.named_contact && !row0.current_priorities && row0.contacts === 0, JSON.stringify(row0));
  await page.waitForFunction((m) => document.querySelector('#guarantee').textContent.includes(`${m} of 8 neighbourhoods have an active feed, a published contact, an update within`), before.meeting, { timeout: 20_000 });
  const line0 = await page.locator('#guarantee').textContent();
  assert.ok(line0.includes(`and priorities within ${before.priority_days} days.`) && /Marlow Fen \([^)]*no published contact/.test(line0), line0);
  ok(`before: ${line0.slice(0, 160)}…`);
  // Select Marlow Fen by clicking the map inside it.
  await clickArea('neighbourhoods', 'DV01');
  await page.waitForFunction(() => {
    const s = document.querySelector('#detail .hood-page[data-area="DV01"]');
    return s && s.querySelector('.page-lists');
  }, null, { timeout: 45_000 });
  const section = page.locator('#detail .hood-page');
  const shown = await section.textContent();
  assert.ok(shown.includes('Contacts and priorities') && shown.includes('No contacts published.') && shown.includes('No priorities published.'), shown);
  const note = await section.locator('.page-note').textContent();
  assert.ok(note.includes('/police-api/dogger-vale/DV01/people') && note.includes('not the feed administrators'), note);
  ok(`clicking Marlow Fen shows its contacts and priorities, none yet: "${note}"`);
  // The keyboard opens the editor and adds a row to each list.
  await section.locator('button.page-edit').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#detail .page-editor form.contacts-form'), null, { timeout: 10_000 });
  assert.equal(await section.locator('button.page-edit').getAttribute('aria-expanded'), 'true');
  const people = section.locator('form.contacts-form');
  await people.locator('button.add-row').focus();
  await page.keyboard.press('Enter');
  const contact = people.locator('fieldset.edit-row').last();
  assert.equal(await contact.locator('legend').textContent(), 'Contact 1');
  assert.ok(await contact.getByLabel('Name').evaluate((e) => e === document.activeElement), 'the new row\'s name has the focus');
  await page.keyboard.type('PC Sam Ahmed');
  await contact.getByLabel('Rank').fill('Police Constable');
  await contact.getByLabel('Email').fill('sam.ahmed at police.example');
  await contact.getByLabel('Telephone').fill('0161 872 5050');
  const priorities = section.locator('form.priorities-form');
  await priorities.locator('button.add-row').click();
  const priority = priorities.locator('fieldset.edit-row').last();
  const today = await page.evaluate(async () => (await (await fetch('/v1/releases')).json()).today);
  await priority.getByLabel('Issue', { exact: true }).fill('Speeding on Fen Road at school times');
  await priority.getByLabel('Issue date').fill(today);
  await priority.getByLabel('Action', { exact: true }).fill('Speed checks with the community speed watch, twice a week');
  ok('the editor adds a contact and a priority, from the keyboard too');
  // A bad email is refused; the refusal names the field, and what the
  // planner typed stays.
  const seen = problems.length;
  await people.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#detail form.contacts-form [role=alert]').textContent.includes('people[0].contact_details.email'), null, { timeout: 20_000 });
  const refusal = await people.locator('[role=alert]').textContent();
  assert.ok(refusal.includes('is not an email address'), refusal);
  assert.equal(await contact.getByLabel('Name').inputValue(), 'PC Sam Ahmed');
  assert.equal(await contact.getByLabel('Email').getAttribute('aria-invalid'), 'true');
  assert.ok(await contact.getByLabel('Email').evaluate((e) => e === document.activeElement), 'the refused input has the focus');
  // The browser logs the expected 400; that one is no failure.
  problems.push(...problems.splice(seen).filter((p) => !p.includes('status of 400')));
  ok(`a bad email is refused in the form, naming the field: "${refusal}"`);
  await people.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'contacts-form.png') });
  await axe('the contacts and priorities editor, with a refusal shown');
  await contact.getByLabel('Email').fill('sam.ahmed@police.example');
  await people.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#detail form.contacts-form [role=status]').textContent.includes('Saved: 1 contact'), null, { timeout: 20_000 });
  assert.equal(await people.locator('[role=alert]').textContent(), '');
  await priorities.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#detail form.priorities-form [role=status]').textContent.includes('Saved: 1 priority'), null, { timeout: 20_000 });
  ok('corrected, the contact and the priority are saved');
  // Published: data.police.uk's people and priorities answer them.
  const published = await page.evaluate(async () => ({
    people: await (await fetch('/police-api/dogger-vale/DV01/people')).json(),
    priorities: await (await fetch('/police-api/dogger-vale/DV01/priorities')).json(),
  }));
  assert.deepEqual(published.people, [{
    bio: null, name: 'PC Sam Ahmed', rank: 'Police Constable',
    contact_details: { email: 'sam.ahmed@police.example', telephone: '0161 872 5050' },
  }]);
  assert.equal(published.priorities.length, 1);
  assert.equal(published.priorities[0]['issue-date'], `${today}T00:00:00`);
  assert.ok(published.priorities[0].issue.includes('Speeding on Fen Road'), JSON.stringify(published.priorities));
  ok('/police-api/dogger-vale/DV01/people publishes PC Sam Ahmed, and /priorities the priority');
  const lists = await section.locator('.page-lists').textContent();
  assert.ok(lists.includes('PC Sam Ahmed') && lists.includes('sam.ahmed@police.example') && lists.includes('Speeding on Fen Road') && lists.includes(`set ${today}`), lists);
  assert.equal(await section.locator('.contacts a[href="mailto:sam.ahmed@police.example"]').count(), 1);
  ok('the panel shows the published contact, with a link to write to them, and the priority');
  // The Guarantee line counts it.
  const after = await guarantee();
  const row1 = after.neighbourhoods.find((n) => n.id === 'DV01');
  assert.ok(row1.named_contact && row1.current_priorities && row1.contacts === 1 && row1.last_priority === today, JSON.stringify(row1));
  assert.ok(row1.meets && after.meeting === before.meeting + 1, JSON.stringify({ row1, meeting: after.meeting }));
  await page.waitForFunction((m) => document.querySelector('#guarantee').textContent.includes(`${m} of 8 neighbourhoods`), after.meeting, { timeout: 20_000 });
  const line1 = await page.locator('#guarantee').textContent();
  assert.ok(!line1.includes('Marlow Fen ('), line1);
  ok(`after: ${line1.slice(0, 120)}… (Marlow Fen no longer listed as lacking)`);
  // Someone else changes the priorities meanwhile: saving is refused,
  // says why, and keeps what was typed; saving again replaces theirs.
  await page.evaluate(async ({ token, today }) => {
    const url = '/v1/neighbourhoods/neighbourhoods/DV01';
    const etag = (await fetch(`${url}/page`)).headers.get('ETag');
    const r = await fetch(`${url}/priorities`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': etag },
      body: JSON.stringify({ priorities: [{ issue: 'Parking outside the school', issue_date: today }] }),
    });
    if (!r.ok) throw new Error(`PUT ${r.status}`);
  }, { token: args.token, today });
  await priority.getByLabel('Action date').fill(today);
  const seen2 = problems.length;
  await priorities.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#detail form.priorities-form [role=alert]').textContent.includes('someone else changed'), null, { timeout: 20_000 });
  problems.push(...problems.splice(seen2).filter((p) => !p.includes('status of 412')));
  assert.ok((await section.locator('.page-lists').textContent()).includes('Parking outside the school'));
  assert.equal(await priorities.locator('fieldset.edit-row').last().getByLabel('Action date').inputValue(), today);
  await priorities.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#detail form.priorities-form [role=status]').textContent.includes('Saved: 1 priority'), null, { timeout: 20_000 });
  const back = await page.evaluate(async () => (await (await fetch('/police-api/dogger-vale/DV01/priorities')).json()));
  assert.equal(back[0]['action-date'], `${today}T00:00:00`);
  ok('a change made elsewhere meanwhile is shown, not overwritten unseen; saving again replaces it');
  await section.locator('button.page-close').click();
  assert.equal(await section.locator('.page-editor').count(), 0);
  assert.ok(await section.locator('button.page-edit').evaluate((e) => e === document.activeElement), 'the focus returns to Edit');
  ok('Close editor closes it and gives the focus back to Edit');
}

async function decided() {
  await basics(8, 37);
  await selectHood('DV03', 'Ravensholt Estate');
  const text = await page.locator('#detail li.suggestion[data-id="DV03-C19"]').textContent();
  assert.ok(text.includes('Accepted by planner-a') && text.includes('@RavensholtPolice'), text);
  assert.equal(await page.locator('.decide').count(), 0, 'no decision buttons when not signed in');
  assert.equal(await page.locator('#detail li.suggestion[data-id="DV03-C19"] .sugg-head strong').textContent(), 'Ravensholt');
  ok('after the restart Ravensholt Estate is still accepted, named "Ravensholt", with its planned feed');
  await selectHood('DV01', 'Little Wexcombe');
  const rejected = await page.locator('#detail li[data-id="DV01-C06"]:not(.suggestion)').textContent();
  assert.ok(rejected.includes('Rejected by planner-a'), rejected);
  assert.equal(await featureStatus('DV01-C06'), 'rejected');
  ok('after the restart Little Wexcombe is still rejected');
}

// Accessibility of the map page: axe-core's WCAG 2.0–2.2 A and AA rules
// and best practices; every violation is listed with its nodes.
const axeSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../node_modules/axe-core/axe.min.js'), 'utf8');
async function axe(what) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  assert.deepEqual(found, [], `axe-core on ${what}: ${found.join(' | ')}`);
  ok(`axe-core: no violation on ${what}`);
}

// The printable page of the neighbourhood with the most suggestions: it
// prints to A4 (Chromium's PDF), nothing wider than the page, no
// suggestion split across pages, the map drawn; axe-core finds nothing.
async function printable() {
  const summary = await (await fetch(`${base}/v1/plan/summary`)).json();
  const hood = summary.neighbourhoods.reduce((a, n) => (n.suggestions > a.suggestions ? n : a));
  await page.goto(`${base}/#print=${encodeURIComponent(hood.id)}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.printReady === 'true', null, { timeout: 60_000 });
  const listed = await page.locator('#detail li.suggestion').count();
  assert.equal(listed, hood.suggestions, 'every suggestion is listed');
  const drawn = await page.evaluate(() => {
    const c = window.feedmap.map.getCanvas();
    const small = document.createElement('canvas');
    small.width = 60; small.height = 40;
    const g = small.getContext('2d');
    g.drawImage(c, 0, 0, 60, 40);
    const px = g.getImageData(0, 0, 60, 40).data;
    let coloured = 0;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 246) + Math.abs(px[i + 1] - 244) + Math.abs(px[i + 2] - 238) > 30) coloured += 1;
    return coloured / (60 * 40);
  });
  assert.ok(drawn > 0.1, `the map is drawn on the page (${(drawn * 100).toFixed(0)} % coloured)`);
  // A4 less 12 mm margins each side, at 96 px an inch.
  const width = Math.floor(((210 - 24) / 25.4) * 96);
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width, height: 1000 });
  const fit = await page.evaluate((width) => ({
    scroll: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll('body *')].filter((n) => n.getBoundingClientRect().right > width + 1 && n.getClientRects().length).map((n) => n.id || n.className || n.tagName).slice(0, 5),
    kept: [...document.querySelectorAll('#detail li')].every((li) => getComputedStyle(li).breakInside === 'avoid'),
  }), width);
  assert.ok(fit.scroll <= width && fit.wide.length === 0, `wider than the page: ${JSON.stringify(fit)}`);
  assert.ok(fit.kept, 'no suggestion is split across pages');
  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.ok(pages >= 1 && pages <= 6, `${pages} pages`);
  writeFileSync(join(shots, 'print.pdf'), pdf);
  ok(`the printable page of ${hood.name} lists its ${listed} suggestion${listed === 1 ? '' : 's'} under its map (${(drawn * 100).toFixed(0)} % drawn) and prints to ${pages} A4 page${pages === 1 ? '' : 's'}, nothing wider than the page`);
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 900, height: 1270 });
  await page.screenshot({ path: join(shots, 'print.png'), fullPage: false });
  await axe(`the printable page of ${hood.name}`);
}

// Greater Manchester's ten boroughs and 215 wards: the labels at the
// opening view of a whole force.
async function boroughs() {
  await basics(Number(args['expect-hoods']), Number(args['expect-communities']));
  await page.screenshot({ path: join(shots, 'gm-boroughs-map.png') });
  await axe('the map of Greater Manchester');
}

// A region with census areas but no postcode directory or feed list: the
// readiness panel opens on what is missing.
async function sparse() {
  await basics(Number(args['expect-hoods']), Number(args['expect-communities']));
  const missing = await page.evaluate(() => [...document.querySelectorAll('#readiness-items li.missing')].map((li) => li.dataset.key));
  assert.deepEqual(missing, args['expect-missing'].split(','));
  ok(`without a postcode directory or feed list the map says what is missing: ${missing.join(', ')}`);
  const feeds = await page.evaluate(() => ({ disabled: document.querySelector('#t-feeds').disabled, label: document.querySelector('#t-feeds').closest('label').textContent }));
  assert.ok(feeds.disabled && feeds.label.includes('no feed list'), JSON.stringify(feeds));
  const owners = await page.locator('#guarantee').textContent();
  assert.ok(owners.startsWith('No feed list'), owners);
  assert.equal(await page.locator('#owners-section .warning').count(), 0, 'no guarantee warnings without a feed list');
  ok(`without a feed list the Feeds switch is off and says why, and the owners panel is one line`);
  const placeholder = await page.locator('#lookup-input').getAttribute('placeholder');
  const place = await page.evaluate(() => window.feedmap.config.lookup_examples);
  assert.ok(place.length === 1 && placeholder === `e.g. ${place[0]}`, `${placeholder} ${place}`);
  ok(`the lookup box offers one of the region's own places: "${placeholder}"`);
  await page.screenshot({ path: join(shots, 'sparse-readiness.png') });
}

// The offline base map (Trafford; the test makes the archive from ONS
// boundaries): drawn beneath the plan from the server's PMTiles archive
// read in byte ranges, its place names set in the glyphs the server
// embeds, its sprite the server's; the request check above fails the
// suite on any request to another host.
async function basemap() {
  const archive = [];
  const assets = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/basemap/tiles.pmtiles') archive.push({ status: r.status(), range: r.request().headers().range || null });
    else if (u.pathname.startsWith('/basemap/')) assets.push({ path: decodeURIComponent(u.pathname), status: r.status() });
  });
  await basics(Number(args['expect-hoods']), Number(args['expect-communities']));
  const order = await page.evaluate(() => {
    const layers = window.feedmap.map.getStyle().layers;
    return {
      base: layers.filter((l) => l.source === 'basemap').length,
      lastBase: layers.map((l) => l.source === 'basemap' || l.type === 'background').lastIndexOf(true),
      firstOurs: layers.findIndex((l) => l.id === 'communities-fill'),
    };
  });
  assert.ok(order.base > 30 && order.firstOurs > order.lastBase, JSON.stringify(order));
  ok(`the base map's ${order.base} layers all draw beneath the plan's (last at ${order.lastBase}, the communities from ${order.firstOurs})`);
  await page.screenshot({ path: join(shots, 'gm-trafford-basemap.png') });
  // The switch takes the base map away and brings it back.
  const drawnBase = () => page.evaluate(() => window.feedmap.map.queryRenderedFeatures({ layers: ['earth', 'landcover'] }).length);
  await page.locator('#t-basemap').uncheck();
  await idle();
  assert.equal(await drawnBase(), 0, 'base map drawn with its switch off');
  await page.screenshot({ path: join(shots, 'gm-trafford-no-basemap.png') });
  await page.locator('#t-basemap').check();
  await idle();
  assert.ok(await drawnBase() > 0, 'base map back with its switch on');
  ok('screenshots of Trafford at the opening view with and without the base map (its switch)');
  // What the base map draws, at the opening view and at a town's zoom
  // (the fixture names its wards from zoom 11): land, built-up areas,
  // borough lines and place names, none of them a name feedmap labels.
  const known = args.places.split('|');
  for (const view of [null, { center: [-2.33, 53.43], zoom: 12 }]) {
    if (view) await page.evaluate((v) => window.feedmap.map.jumpTo(v), view);
    // The labels made for this view, then the map drawn after them.
    await page.waitForFunction(() => window.feedmap.labelledView === `${window.feedmap.map.getCenter().lng},${window.feedmap.map.getCenter().lat},${window.feedmap.map.getZoom()}`, null, { timeout: 45_000 });
    await page.evaluate(() => new Promise((resolve) => {
      const map = window.feedmap.map;
      map.once('idle', resolve);
      map.triggerRepaint();
    }));
    const drawn = await page.evaluate(() => {
      const m = window.feedmap.map;
      const q = (id) => m.queryRenderedFeatures({ layers: [id] });
      return {
        earth: q('earth').length,
        urban: q('landcover').length,
        boundaries: q('boundaries').length,
        places: [...new Set(q('places_locality').map((f) => f.properties.name))],
        labels: [...document.querySelectorAll('.area-label .label-text')].map((n) => n.textContent),
      };
    });
    const where = view ? `zoom ${view.zoom}` : 'the opening view';
    assert.ok(drawn.earth > 0 && drawn.urban > 0 && drawn.boundaries > 0, JSON.stringify(drawn));
    assert.ok(drawn.places.length >= 1 && drawn.places.every((p) => known.includes(p)), JSON.stringify(drawn.places));
    const twice = drawn.places.filter((p) => drawn.labels.includes(p));
    assert.deepEqual(twice, [], `named by both the base map and feedmap at ${where}`);
    ok(`at ${where} the base map draws land, built-up areas and borough lines, and names ${drawn.places.join(', ')}: none of feedmap's ${drawn.labels.length} labels named twice`);
  }
  assert.ok(archive.length > 0, 'the archive was read');
  const whole = archive.filter((a) => a.status !== 206 || !/^bytes=\d+-\d+$/.test(a.range || ''));
  assert.deepEqual(whole, [], 'every read of the archive is a byte range answered 206');
  ok(`the archive is read in ${archive.length} byte ranges, each answered 206`);
  const fonts = assets.filter((a) => a.path.startsWith('/basemap/fonts/'));
  const sprites = assets.filter((a) => /^\/basemap\/sprite(@2x)?\.(json|png)$/.test(a.path));
  assert.ok(fonts.length > 0 && fonts.every((a) => a.status === 200), JSON.stringify(fonts));
  assert.ok(sprites.length >= 2 && sprites.every((a) => a.status === 200), JSON.stringify(sprites));
  ok(`glyphs (${[...new Set(fonts.map((a) => a.path.split('/')[3]))].join(', ')}) and the sprite come from feedmap`);
  const credit = await page.locator('.maplibregl-ctrl-attrib').textContent();
  const own = await page.evaluate(() => window.feedmap.config.basemap.attribution);
  assert.ok(own && credit.includes(own.slice(0, 30)), `${credit} / ${own}`);
  ok("the base map's attribution is shown beside the region's");
  await page.evaluate(() => window.feedmap.map.jumpTo({ center: [-2.35, 53.42], zoom: 13.5 }));
  await idle();
  await page.screenshot({ path: join(shots, 'gm-trafford-basemap-street.png') });
}

try {
  if (suite === 'demo') await demo();
  else if (suite === 'basemap') await basemap();
  else if (suite === 'sparse') await sparse();
  else if (suite === 'boroughs') await boroughs();
  else if (suite === 'print') await printable();
  else if (suite === 'decide') await decide();
  else if (suite === 'decided') await decided();
  else if (suite === 'gm') await gm();
  else if (suite === 'national') await national();
  else if (suite === 'redraw') await redraw();
  else if (suite === 'owners') await owners();
  else if (suite === 'contacts') await contacts();
  else throw new Error(`unknown suite ${suite}`);
  const mapErrors = await page.evaluate(() => window.feedmap.errors);
  assert.deepEqual([...problems, ...mapErrors], [], 'console errors, failed requests or map errors');
  ok('no console errors, failed requests or map errors');
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  await page.screenshot({ path: join(shots, `${suite}-failure.png`) }).catch(() => {});
  console.log(`not ok - ${e.message}`);
  if (problems.length) console.log(`problems seen: ${problems.join('\n  ')}`);
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
