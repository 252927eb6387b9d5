// feedmap planners' map. Plain ES module over MapLibre GL JS (loaded as a
// script before this one, as window.maplibregl): no build step, so what the
// server embeds is exactly this file.
//
// Boundaries come as vector tiles (/tiles/…), coloured by the plan through
// feature state keyed on the area id: a what-if change fetches only the
// compact plan summary (/v1/plan/summary) and repaints, never re-tiles.

const $ = (sel) => document.querySelector(sel);
// What the map says of each community, in order, and its colour. Chosen
// from ColorBrewer's schemes so that every pair stays apart with common
// colour-vision deficiencies as well as normal vision: at least 15 ΔE00
// laid over the background (the browser test measures it,
// web/tests/colour.mjs).
const CLASSES = {
  chosen: { colour: '#2166ac', opacity: 0.85, label: 'chosen suggestion (a new feed)' },
  further: { colour: '#92c5de', opacity: 0.85, label: 'further candidate or alternative, not chosen' },
  accepted: { colour: '#2d004b', opacity: 0.85, label: 'accepted by a planner' },
  rejected: { colour: '#b2182b', opacity: 0.85, label: 'rejected by a planner' },
  served: { colour: '#fdb863', opacity: 0.85, label: 'already has a community feed' },
  none: { colour: '#dedbd2', opacity: 0.6, label: 'no suggestion' },
};
const BACKGROUND = '#f6f4ee';
const fmt = new Intl.NumberFormat('en-GB');

// Exposed for the browser tests and for planners' own console use.
const state = (window.feedmap = {
  map: null,
  config: null,
  hoodLayer: null,
  commLayer: null,
  summary: null,
  selected: null,
  focus: null,
  planRequests: 0,
  ready: false,
  errors: [],
  // The signed-in planner ({ name, role }) and token; the token lives in
  // sessionStorage only, so it goes when the tab does.
  me: null,
  token: null,
  // The date the map and lookups show boundaries for (null: today), and
  // the release under review.
  at: null,
  release: null,
  // Feed health by feed id, open handovers by feed id, and the feed view
  // shown in the panel ('health', 'consolidation' or null).
  health: {},
  openHandovers: {},
  feedView: null,
  // The classes the communities are coloured by.
  classes: CLASSES,
  background: BACKGROUND,
  // The last PNG of the view: its size in pixels and labels drawn.
  lastPng: null,
  // The readiness report (/health), once read.
  readiness: null,
  // The region's settlements: how many, and the named ones (id, name,
  // lon, lat) for their labels.
  settlementCount: null,
  settlements: [],
  // The contacts and priorities editor open ({ key, ctx, node }), kept
  // when the panel is redrawn for the same neighbourhood.
  pageEditing: null,
  // The residents' question (GET /v1/question) when the region asks it,
  // their names for places (id, lon, lat, text) and the answers per area
  // by layer (GET /v1/question/areas), as last read.
  question: null,
  residentsNames: [],
  voiceAreas: {},
});

async function getJSON(url) {
  const r = await fetch(url);
  let body;
  try {
    body = await r.json();
  } catch {
    throw new Error(`${url}: ${r.status} ${r.statusText}`);
  }
  if (!r.ok) throw new Error(body.detail || body.title || r.statusText);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

// replaceChildren would print a null child as the text "null".
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

function residents(pop, provenance) {
  if (pop === null || pop === undefined) return 'population unknown';
  const est = provenance && provenance !== 'given';
  return `${est ? 'about ' : ''}${fmt.format(Math.round(pop))} residents${est ? ` (estimated, ${provenance.replace('_', ' ')})` : ''}`;
}

// ---- parameters -----------------------------------------------------------

const form = $('#params');
const DEFAULTS = {};
for (const input of form.elements) {
  if (!input.name) continue;
  DEFAULTS[input.name] = input.type === 'checkbox' ? input.checked : input.value;
}

function paramQuery() {
  const q = new URLSearchParams();
  q.set('neighbourhood_layer', state.hoodLayer);
  q.set('community_layer', state.commLayer);
  for (const input of form.elements) {
    if (!input.name) continue;
    if (input.type === 'checkbox') q.set(input.name, input.checked ? 'true' : 'false');
    else if (input.value.trim() !== '') q.set(input.name, input.value.trim());
  }
  // The full ranking: no per-neighbourhood shortlist.
  if ($('#p-full-ranking').checked) q.set('max_new_feeds_per_neighbourhood', 'none');
  return q.toString();
}

function showOutputs() {
  for (const out of form.querySelectorAll('output')) {
    const input = $(`#${out.htmlFor}`);
    out.value = input.name.includes('population') ? fmt.format(Number(input.value)) : input.value;
  }
}

let timer = null;
function schedulePlan() {
  showOutputs();
  clearTimeout(timer);
  timer = setTimeout(replan, 200);
}

form.addEventListener('input', schedulePlan);
form.addEventListener('change', schedulePlan);
$('#reset').addEventListener('click', () => {
  for (const input of form.elements) {
    if (!(input.name in DEFAULTS)) continue;
    if (input.type === 'checkbox') input.checked = DEFAULTS[input.name];
    else input.value = DEFAULTS[input.name];
  }
  schedulePlan();
});

// ---- signing in and writing ---------------------------------------------------

const TOKEN_KEY = 'feedmap.token';

// A write with the planner's token. Returns { ok, status, body }.
async function send(method, url, body, ifMatch) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  try { json = await r.json(); } catch { /* empty body */ }
  if (r.status === 401) signOut('Your token was refused; sign in again.');
  return { ok: r.ok, status: r.status, body: json };
}

function editStatus(text, kind) {
  const p = $('#edit-status');
  p.className = kind || 'muted';
  p.textContent = text;
}

async function signIn(token, quiet) {
  const r = await fetch('/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (!quiet) editStatus('That token is not valid here.', 'error');
    return;
  }
  const me = await r.json();
  if (me.role !== 'planner') {
    editStatus(`Token "${me.name}" is read-only: it cannot change the plan.`, 'warning');
    return;
  }
  state.token = token;
  state.me = me;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('#signin').hidden = true;
  $('#signed-in').hidden = false;
  $('#who').textContent = `Editing as ${me.name}.`;
  editStatus('');
  if (state.selected) await selectHood(state.selected, state.focus, false);
  renderVanished();
  if (state.release) await showRelease(state.release.id);
  if (state.map && state.map.loaded()) await loadOwners();
  await loadHolds();
}

function signOut(why) {
  state.token = null;
  state.me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('#signin').hidden = false;
  $('#signed-in').hidden = true;
  editStatus(why || '');
  if (state.selected) selectHood(state.selected, state.focus, false);
  renderVanished();
  if (state.release) showRelease(state.release.id);
  if (state.map && state.map.loaded()) loadOwners();
  loadHolds();
}

$('#signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const t = $('#token-input').value.trim();
  $('#token-input').value = '';
  if (t) signIn(t);
});
$('#signout').addEventListener('click', () => signOut('Signed out.'));

const PAST = { accept: 'Accepted', reject: 'Rejected', defer: 'Deferred' };

function decisionBadge(d) {
  if (!d) return null;
  return el('span', { class: `badge decision ${d.decision}`, title: d.note || null, text: `${PAST[d.decision]} by ${d.by}` });
}

// Accept / Reject / Defer (and Withdraw) for one community or cluster,
// changing the decision the planner was shown (If-Match its version).
// Accept / Reject / Defer (and Withdraw) for a suggestion: a community or
// cluster of the growth plan, or (layer '@feeds') a feed of the
// consolidation plan; `after` redraws what the decision changes.
function decisionControls(areaId, decision, layer = null, after = replan) {
  if (!state.me) return null;
  const note = el('input', { type: 'text', class: 'note', 'aria-label': 'Note for the decision', placeholder: 'note (optional)', value: decision ? decision.note : '' });
  const act = async (kind) => {
    let r;
    if (decision && kind === 'withdraw') {
      r = await send('DELETE', `/v1/decisions/${decision.id}`, undefined, `"v${decision.version}"`);
    } else if (decision) {
      r = await send('PATCH', `/v1/decisions/${decision.id}`, { decision: kind, note: note.value }, `"v${decision.version}"`);
    } else {
      r = await send('POST', '/v1/decisions', { layer: layer || state.commLayer, area_id: areaId, decision: kind, note: note.value });
    }
    if (r.status === 412 || r.status === 409) {
      editStatus('Someone else changed this decision meanwhile; the plan now shows theirs. Check it and decide again.', 'warning');
    } else if (!r.ok) {
      editStatus(`Not saved: ${(r.body && r.body.detail) || r.status}`, 'error');
    } else {
      editStatus(kind === 'withdraw' ? 'Decision withdrawn.' : `${PAST[kind]}; saved.`);
    }
    await after();
  };
  const button = (kind, label) => el('button', {
    type: 'button', class: `decide-${kind}`, 'aria-pressed': decision && decision.decision === kind ? 'true' : 'false',
    onclick: () => act(kind),
  }, label);
  return el('div', { class: 'decide', role: 'group', 'aria-label': 'Decision' },
    button('accept', 'Accept'), button('reject', 'Reject'), button('defer', 'Defer'),
    decision ? button('withdraw', 'Withdraw') : null, note);
}

// Rename a suggestion: the name is kept with its decision (a suggestion
// still to decide is recorded as deferred: named, still to decide), shown
// in every plan format and carried across boundary releases.
function renameForm(s) {
  if (!state.me) return null;
  const layer = s.kind === 'settlement' ? '@settlements' : state.commLayer;
  const input = el('input', { type: 'text', class: 'rename', 'aria-label': `Name for ${s.name}`, value: s.name, maxlength: '120' });
  const form = el('form', { class: 'rename-form', 'aria-label': `Rename ${s.name}` },
    input, el('button', { type: 'submit', text: 'Rename' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = input.value.trim();
    const d = s.decision;
    const r = d
      ? await send('PATCH', `/v1/decisions/${d.id}`, { name: name === s.generated_name ? '' : name }, `"v${d.version}"`)
      : await send('POST', '/v1/decisions', { layer, area_id: s.id, name });
    if (r.status === 412 || r.status === 409) {
      editStatus('Someone else changed this decision meanwhile; the plan now shows theirs. Check it and rename again.', 'warning');
    } else if (!r.ok) {
      editStatus(`Not renamed: ${(r.body && r.body.detail) || r.status}`, 'error');
    } else {
      editStatus(d ? `Renamed “${name}”; saved.` : `Renamed “${name}” and deferred (still to decide); saved.`);
    }
    await replan();
  });
  return form;
}

const URL_OF = {
  x: (h) => `https://x.com/${h.replace(/^@/, '')}`,
  facebook: (h) => `https://www.facebook.com/${h.replace(/^@/, '')}`,
  instagram: (h) => `https://www.instagram.com/${h.replace(/^@/, '')}`,
  nextdoor: (h) => `https://nextdoor.co.uk/agency/${h.replace(/^@/, '')}`,
  whatsapp: (h) => `https://whatsapp.com/channel/${h.replace(/^@/, '')}`,
};

// The feed-handle form of an accepted suggestion: adds a planned feed for
// the community (for a cluster, one per member, sharing the handle).
function feedForm(s) {
  if (!state.me || !s.decision || s.decision.decision !== 'accept') return null;
  const platform = el('select', { 'aria-label': 'Platform' }, ...Object.keys(URL_OF).map((p) => el('option', { value: p, text: p })));
  const handle = el('input', { type: 'text', 'aria-label': 'Handle', placeholder: '@handle', required: '' });
  const url = el('input', { type: 'url', 'aria-label': 'Feed URL', placeholder: 'https://…' });
  const guess = () => { if (!url.dataset.edited && handle.value) url.value = URL_OF[platform.value](handle.value); };
  handle.addEventListener('input', guess);
  platform.addEventListener('change', guess);
  url.addEventListener('input', () => { url.dataset.edited = '1'; });
  const form = el('form', { class: 'feed-form', 'aria-label': `Feed for ${s.name}` },
    el('label', { text: 'Platform' }), platform,
    el('label', { text: 'Handle' }), handle,
    el('label', { text: 'URL' }), url,
    el('button', { type: 'submit', text: 'Add planned feed' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const areas = s.members.length ? s.members.map((m) => m.id) : [s.id];
    for (const area of areas) {
      const body = {
        feed_id: `${area}-${platform.value}`, platform: platform.value, handle: handle.value.trim(),
        url: url.value.trim() || URL_OF[platform.value](handle.value.trim()), layer: state.commLayer, area_id: area, status: 'planned',
      };
      let r = await send('POST', '/v1/feeds', body);
      if (r.status === 409) r = await send('POST', '/v1/feeds', { ...body, feed_id: `${body.feed_id}-${Date.now().toString(36)}` });
      if (!r.ok) {
        editStatus(`Feed not added: ${(r.body && r.body.detail) || r.status}`, 'error');
        return;
      }
    }
    editStatus(`Planned feed ${handle.value.trim()} added for ${s.name}.`);
    await replan();
  });
  return form;
}

// Decisions about areas that a boundary update removed: never dropped
// silently; a planner can withdraw them.
function renderVanished() {
  const box = $('#vanished');
  const v = (state.summary && state.summary.decisions && state.summary.decisions.vanished) || [];
  box.hidden = v.length === 0;
  fill(box);
  if (!v.length) return;
  box.append(el('strong', { text: `⚠ ${v.length} decision${v.length === 1 ? ' is' : 's are'} about areas no longer in the boundaries:` }));
  box.append(el('ul', {}, v.map((x) => el('li', {},
    `${x.area_id} — ${PAST[x.decision.decision].toLowerCase()} by ${x.decision.by}: ${x.why} `,
    state.me ? el('button', {
      type: 'button',
      onclick: async () => {
        const r = await send('DELETE', `/v1/decisions/${x.decision.id}`, undefined, `"v${x.decision.version}"`);
        editStatus(r.ok ? 'Decision withdrawn.' : `Not withdrawn: ${(r.body && r.body.detail) || r.status}`, r.ok ? 'muted' : 'error');
        await replan();
      },
    }, 'Withdraw') : null))));
}

// ---- the plan ---------------------------------------------------------------

let planSeq = 0;
async function replan() {
  const seq = ++planSeq;
  const q = paramQuery();
  $('#export-csv').href = `/v1/plan.csv?${q}`;
  $('#export-geojson').href = `/v1/plan.geojson?${q}`;
  const status = $('#plan-status');
  status.classList.remove('error');
  status.textContent = 'Planning…';
  const started = performance.now();
  let summary;
  try {
    summary = await getJSON(`/v1/plan/summary?${q}`);
  } catch (e) {
    if (seq !== planSeq) return;
    status.classList.add('error');
    status.textContent = `Cannot plan: ${e.message}`;
    return;
  }
  if (seq !== planSeq) return; // a newer change is on its way
  state.summary = summary;
  state.planRequests += 1;
  paintPlan();
  placeLabels();
  renderHoods();
  renderVanished();
  const s = summary.summary;
  const ms = Math.round(performance.now() - started);
  status.textContent =
    `${s.large_neighbourhoods} of ${s.neighbourhoods} neighbourhoods large · ${s.suggestions} suggestions, ` +
    `${s.chosen} chosen · ${fmt.format(s.newly_served)} residents newly served (${ms} ms)`;
  if (summary.population.warning) {
    status.append(el('span', { class: 'warning', text: ` ⚠ ${summary.population.warning}` }));
  }
  if (summary.shortlist) {
    status.append(el('span', { class: 'muted shortlist', text: ` ${summary.shortlist.note}` }));
  }
  if (state.selected) await selectHood(state.selected, state.focus, false);
}

function paintPlan() {
  const map = state.map;
  const src = { source: 'communities', sourceLayer: state.commLayer };
  map.removeFeatureState(src);
  for (const id of state.summary.served) {
    map.setFeatureState({ ...src, id }, { status: 'served' });
  }
  for (const d of state.summary.decided || []) {
    if (d.decision === 'reject') map.setFeatureState({ ...src, id: d.id }, { status: 'rejected' });
  }
  for (const c of state.summary.communities) {
    const status = c.decision === 'accept' ? 'accepted' : c.chosen ? 'chosen' : 'further';
    map.setFeatureState({ ...src, id: c.id }, { status, score: c.score });
  }
  if (state.focus) map.setFeatureState({ ...src, id: state.focus }, { selected: true });
}

// The fill of each class (`status` in the feature state), by the table
// above.
function classPaint(key) {
  const out = ['match', ['feature-state', 'status']];
  for (const [name, c] of Object.entries(CLASSES)) if (name !== 'none') out.push(name, c[key]);
  out.push(CLASSES.none[key]);
  return out;
}

// Over a base map the fills thin out from a town's zoom to a street's, so
// the streets show through where a planner looks at them.
function overBase(opacity) {
  if (!state.config.basemap && !state.config.basemap_style_url) return opacity;
  return ['interpolate', ['linear'], ['zoom'], 12, opacity, 15, ['*', 0.45, opacity]];
}

function renderHoods() {
  const list = $('#hoods');
  fill(list);
  const hoods = state.summary.neighbourhoods;
  const shown = hoods.slice(0, 200);
  for (const n of shown) {
    const text = n.large
      ? `${n.suggestions} suggestion${n.suggestions === 1 ? '' : 's'} · ${fmt.format(n.need)} residents`
      : 'not large';
    list.append(
      el('li', { class: n.id === state.selected ? 'selected' : '' },
        el('button', {
          type: 'button',
          'data-id': n.id,
          'aria-pressed': n.id === state.selected ? 'true' : 'false',
          onclick: () => selectHood(n.id, null, true),
        }, el('span', { class: 'name', text: n.name }), el('span', { class: 'muted', text })),
      ),
    );
  }
  if (hoods.length > shown.length) {
    list.append(el('li', { class: 'muted', text: `… and ${hoods.length - shown.length} more (click the map to select one)` }));
  }
}

function factorBar(name, value) {
  const known = value !== null && value !== undefined;
  const pct = known ? Math.round(value * 100) : 0;
  return el('div', { class: 'factor' },
    el('span', { class: 'factor-name', text: name }),
    el('span', {
      class: 'bar', role: 'meter', 'aria-label': name, 'aria-valuemin': '0', 'aria-valuemax': '1',
      'aria-valuenow': known ? String(value) : null,
    }, el('span', { class: 'fill', style: `width:${pct}%` })),
    el('span', { class: 'factor-value', text: known ? value.toFixed(2) : 'n/a' }),
  );
}

function coverageLine(c) {
  if (!c) return null;
  const part = (x) => `${fmt.format(x.community)} by a community feed, ${fmt.format(x.neighbourhood_only)} by the neighbourhood feed only, ${fmt.format(x.none)} by neither`;
  return el('div', { class: 'coverage' },
    el('div', { text: `Before: ${part(c.before)}.` }),
    el('div', { text: `After: ${part(c.after)}.` }));
}

async function selectHood(id, focus, fly) {
  const src = { source: 'neighbourhoods', sourceLayer: state.hoodLayer };
  const csrc = { source: 'communities', sourceLayer: state.commLayer };
  // Move the highlights only: repainting the plan would touch every
  // community, which on a national layer is tens of thousands.
  if (state.selected) state.map.setFeatureState({ ...src, id: state.selected }, { selected: false });
  if (state.focus) state.map.setFeatureState({ ...csrc, id: state.focus }, { selected: false });
  state.selected = id;
  state.focus = focus || null;
  state.map.setFeatureState({ ...src, id }, { selected: true });
  if (focus) state.map.setFeatureState({ ...csrc, id: focus }, { selected: true });
  for (const b of document.querySelectorAll('#hoods button')) {
    const on = b.dataset.id === id;
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.parentElement.classList.toggle('selected', on);
  }
  const summaryHood = state.summary && state.summary.neighbourhoods.find((n) => n.id === id);
  if (fly && summaryHood && summaryHood.bbox) {
    const [w, s, e, n] = summaryHood.bbox;
    state.map.fitBounds([[w, s], [e, n]], { padding: 40, maxZoom: 15, duration: 600 });
  }
  const detail = $('#detail');
  let hood;
  try {
    hood = await getJSON(`/v1/plan/neighbourhoods/${encodeURIComponent(id)}?${paramQuery()}`);
  } catch (e) {
    fill(detail, el('p', { class: 'error', text: e.message }));
    return;
  }
  if (state.selected !== id) return;
  const suggestions = hood.suggestions.map((s) =>
    el('li', {
      class: `suggestion${s.chosen ? ' chosen' : ''}${(focus && (s.id === focus || s.members.some((m) => m.id === focus))) ? ' focus' : ''}`,
      'data-id': s.id,
    },
    el('div', { class: 'sugg-head' },
      el('span', { class: 'rank', text: `#${s.rank}` }),
      el('strong', { text: s.name }),
      el('span', { class: 'score', text: `score ${s.score.toFixed(2)}` }),
      s.chosen ? el('span', { class: 'badge', text: s.planned_feeds.length ? 'planned' : 'chosen' })
        : el('span', { class: 'badge faint', text: s.alternative_to ? `alternative to ${s.alternative_to}` : 'further candidate' }),
      decisionBadge(s.decision)),
    s.generated_name ? el('div', { class: 'muted generated-name', text: `Named by ${s.decision.by}; the plan's name: ${s.generated_name}` }) : null,
    el('div', { class: 'muted', text: `${s.kind === 'cluster' ? 'Cluster · ' : s.kind === 'settlement' ? 'Settlement · ' : ''}${residents(s.population, s.population_provenance)}` }),
    el('div', { class: 'factors' },
      factorBar('size', s.factors.size),
      factorBar('separation', s.factors.separation),
      factorBar('identity', s.factors.identity),
      factorBar('compactness', s.factors.compactness),
      factorBar('containment', s.factors.containment)),
    el('p', { class: 'reason', text: s.reason }),
    s.kind === 'settlement' || s.kind === 'cluster' ? null : voiceLine(state.commLayer, s.id, 'Residents: '),
    decisionControls(s.id, s.decision, s.kind === 'settlement' ? '@settlements' : null),
    renameForm(s),
    s.kind === 'settlement' ? null : feedForm(s)));
  const notSuggested = hood.not_suggested.map((n) =>
    el('li', { class: n.id === focus ? 'focus' : '', 'data-id': n.id },
      el('strong', { text: n.name }), ' ', decisionBadge(n.decision), ` — ${n.why}`,
      n.why.startsWith('already has an active feed') ? null : decisionControls(n.id, n.decision)));
  fill(detail,
    el('h3', {}, hood.name, ' ',
      el('a', { class: 'button print-link', href: `/#${new URLSearchParams([['print', id], ...new URLSearchParams(paramQuery())])}`, target: '_blank', rel: 'noopener', text: 'Printable page' })),
    el('p', { text: `${residents(hood.population, hood.population_provenance)} · ${hood.area_km2.toFixed(1)} km² · ${hood.communities} communities` }),
    el('p', { class: 'why', text: hood.why }),
    coverageLine(hood.coverage),
    voiceSection(id, hood.name, focus),
    suggestions.length ? el('ol', { class: 'suggestions' }, suggestions) : el('p', { class: 'muted', text: 'No suggestions here.' }),
    notSuggested.length ? el('details', { open: focus && notSuggested.some((n) => n.dataset.id === focus) ? '' : null },
      el('summary', { text: `Not suggested (${notSuggested.length})` }), el('ul', {}, notSuggested)) : null,
  );
  const focused = detail.querySelector('.focus');
  if (focused) focused.scrollIntoView({ block: 'nearest' });
  if (isNeighbourhoodLayer(state.hoodLayer)) {
    const box = el('section', { class: 'hood-page', 'aria-labelledby': 'hood-page-title', 'data-area': id },
      el('h4', { id: 'hood-page-title', text: 'Contacts and priorities' }),
      el('p', { class: 'muted', text: 'Reading…' }));
    detail.append(box);
    await showPage(box, state.hoodLayer, id);
  }
}

// ---- a neighbourhood's published contacts and priorities ----------------------------

// Whether `layer` is one the region gives the neighbourhood role (the
// layers whose areas publish contacts and priorities).
function isNeighbourhoodLayer(layer) {
  return Boolean(state.config && state.config.layers.some((l) => l.id === layer && l.role === 'neighbourhood'));
}

// The force's id in the data.police.uk-compatible paths (null: the
// region names none). Read once.
let forceRead = null;
function policeForce() {
  if (!forceRead) forceRead = getJSON('/police-api/forces').then((f) => (f.length ? f[0].id : null)).catch(() => null);
  return forceRead;
}

// Today as the server counts it (from the releases list), else the
// browser's.
function todayDate() {
  if (state.today) return state.today;
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// The ways to reach a contact, in data.police.uk's keys: label and link.
const WAYS = [
  ['email', 'Email', (v) => `mailto:${v}`],
  ['telephone', 'Telephone', (v) => `tel:${v.replace(/[^0-9+]/g, '')}`],
  ['mobile', 'Mobile', (v) => `tel:${v.replace(/[^0-9+]/g, '')}`],
  ['web', 'Web', (v) => v],
  ['twitter', 'X', (v) => v],
  ['facebook', 'Facebook', (v) => v],
];

function contactItem(c) {
  const details = c.contact_details || {};
  const ways = WAYS.filter(([k]) => details[k]).map(([k, label, href]) => {
    const link = href(details[k]);
    const away = !link.startsWith('mailto:') && !link.startsWith('tel:');
    return el('li', {}, `${label}: `, el('a', { href: link, target: away ? '_blank' : null, rel: away ? 'noopener' : null, text: details[k] }));
  });
  return el('li', { class: 'contact' },
    el('strong', { text: c.name }), c.rank ? el('span', { class: 'muted', text: ` · ${c.rank}` }) : null,
    c.bio ? el('div', { class: 'muted', text: c.bio }) : null,
    ways.length ? el('ul', { class: 'ways' }, ways)
      : el('div', { class: 'warning', text: 'No way to reach them given: the Guarantee wants one, such as an email or a telephone number.' }));
}

function priorityItem(p) {
  return el('li', { class: 'priority' },
    el('strong', { text: p.issue }), el('span', { class: 'muted', text: ` · set ${p.issue_date}` }),
    p.action || p.action_date
      ? el('div', {}, `Action: ${p.action || 'none given'}`, p.action_date ? el('span', { class: 'muted', text: ` · reported ${p.action_date}` }) : null)
      : null);
}

// The page of neighbourhood `layer`/`id` into `box`: read-only, and with
// an Edit button for a signed-in planner. An editor left open survives
// the panel being redrawn (a re-plan, signing in) for the same area.
async function showPage(box, layer, id) {
  const key = `${layer}/${id}`;
  let read;
  let force;
  try {
    [read, force] = await Promise.all([
      readJSON(`/v1/neighbourhoods/${encodeURIComponent(layer)}/${encodeURIComponent(id)}/page`),
      policeForce(),
    ]);
  } catch (e) {
    fill(box, box.firstChild, el('p', { class: 'error', text: `Contacts and priorities: ${e.message}` }));
    return;
  }
  if (state.selected !== id || !box.isConnected) return;
  const open = state.pageEditing && state.pageEditing.key === key && state.token ? state.pageEditing : null;
  if (!open) state.pageEditing = null;
  const ctx = open ? open.ctx : { layer, id, etag: read.etag };
  ctx.page = read.body;
  ctx.lists = el('div', { class: 'page-lists' });
  ctx.refresh = () => {
    const p = ctx.page;
    fill(ctx.lists,
      el('h5', { text: 'Contacts' }),
      p.people.length ? el('ul', { class: 'contacts' }, p.people.map(contactItem)) : el('p', { class: 'muted', text: 'No contacts published.' }),
      el('h5', { text: 'Priorities' }),
      p.priorities.length ? el('ul', { class: 'priorities' }, p.priorities.map(priorityItem)) : el('p', { class: 'muted', text: 'No priorities published.' }));
  };
  ctx.refresh();
  const path = `/police-api/${force || '{force}'}/${id}/people`;
  const edit = state.token ? el('button', {
    type: 'button', class: 'page-edit', 'aria-expanded': open ? 'true' : 'false', 'aria-controls': 'page-editor', text: 'Edit',
  }) : null;
  const editor = open ? open.node : null;
  fill(box,
    box.firstChild,
    el('p', { class: 'muted page-note' },
      'Published: residents and data.police.uk-compatible clients read these contacts at ',
      force ? el('a', { href: path, target: '_blank', rel: 'noopener', text: path }) : el('code', { text: path }),
      '. They are not the feed administrators, whose names stay private.'),
    ctx.lists,
    edit,
    editor);
  if (edit) {
    edit.addEventListener('click', () => {
      if (state.pageEditing) {
        closeEditor(edit);
        return;
      }
      const node = pageEditor(ctx, () => closeEditor(edit));
      state.pageEditing = { key, ctx, node };
      edit.setAttribute('aria-expanded', 'true');
      box.append(node);
      const first = node.querySelector('input, button');
      if (first) first.focus();
    });
  }
}

function closeEditor(edit) {
  if (state.pageEditing) state.pageEditing.node.remove();
  state.pageEditing = null;
  edit.setAttribute('aria-expanded', 'false');
  edit.focus();
}

// What a row was made from: a contact's bio and other ways of contact,
// which the form does not show, are kept as published.
const ORIGINAL = new WeakMap();

// One labelled input of an editing row; `field` is its path in the list
// item as the server names it in a refusal.
function rowInput(label, field, attrs = {}) {
  const input = el('input', { type: 'text', 'data-field': field, ...attrs });
  return el('label', { class: 'field' }, el('span', { text: label }), input);
}

function contactRow(c) {
  const d = c.contact_details || {};
  const kept = [c.bio ? 'bio' : null, ...['mobile', 'web', 'twitter', 'facebook'].filter((k) => d[k])].filter(Boolean);
  const row = el('fieldset', { class: 'edit-row' }, el('legend'),
    rowInput('Name', 'name', { value: c.name || '', required: '', maxlength: '100' }),
    rowInput('Rank', 'rank', { value: c.rank || '', maxlength: '100' }),
    rowInput('Email', 'contact_details.email', { type: 'email', value: d.email || '' }),
    rowInput('Telephone', 'contact_details.telephone', { type: 'tel', value: d.telephone || '' }),
    kept.length ? el('p', { class: 'muted kept', text: `Kept as published: ${kept.join(', ')}.` }) : null,
    el('button', { type: 'button', class: 'remove-row', text: 'Remove' }));
  ORIGINAL.set(row, c);
  return row;
}

function priorityRow(p) {
  const row = el('fieldset', { class: 'edit-row' }, el('legend'),
    rowInput('Issue', 'issue', { value: p.issue || '', required: '', maxlength: '2000' }),
    rowInput('Issue date', 'issue_date', { type: 'date', value: p.issue_date || '', required: '' }),
    rowInput('Action', 'action', { value: p.action || '', maxlength: '2000' }),
    rowInput('Action date', 'action_date', { type: 'date', value: p.action_date || '' }),
    el('button', { type: 'button', class: 'remove-row', text: 'Remove' }));
  ORIGINAL.set(row, p);
  return row;
}

// What a row says, as the API takes it: empty optional inputs left out.
function rowValue(row, kind) {
  const v = (f) => row.querySelector(`[data-field="${f}"]`).value.trim();
  const opt = (f) => v(f) || undefined;
  const was = ORIGINAL.get(row) || {};
  if (kind === 'people') {
    return {
      ...was,
      name: v('name'),
      rank: opt('rank'),
      contact_details: { ...(was.contact_details || {}), email: opt('contact_details.email'), telephone: opt('contact_details.telephone') },
    };
  }
  return { issue: v('issue'), issue_date: v('issue_date'), action: opt('action'), action_date: opt('action_date') };
}

const LISTS = {
  people: { one: 'contact', many: 'contacts', title: 'Contacts to publish', row: contactRow, blank: () => ({ name: '' }) },
  priorities: { one: 'priority', many: 'priorities', title: 'Priorities to publish', row: priorityRow, blank: () => ({ issue: '', issue_date: todayDate() }) },
};

// The editing form of one list of a page: a row per item, Add and Remove,
// and Save, which replaces the list (If-Match the page read).
function listForm(ctx, kind) {
  const spec = LISTS[kind];
  const rows = el('div', { class: 'edit-rows' });
  const none = el('p', { class: 'muted', text: `None: saving publishes no ${spec.many}.` });
  const alert = el('p', { class: 'error form-alert', role: 'alert' });
  const status = el('p', { class: 'muted form-status', role: 'status' });
  const add = el('button', { type: 'button', class: 'add-row', text: `Add ${spec.one}` });
  const title = `page-form-${kind}`;
  const form = el('form', { class: `page-form ${kind === 'people' ? 'contacts-form' : 'priorities-form'}`, novalidate: '', 'aria-labelledby': title },
    el('h5', { id: title, text: spec.title }),
    rows,
    none,
    el('div', { class: 'row' }, add, el('button', { type: 'submit', class: 'save', text: `Save ${spec.many}` }), status),
    alert);
  const Title = spec.one[0].toUpperCase() + spec.one.slice(1);
  const renumber = () => {
    [...rows.children].forEach((row, n) => {
      row.querySelector('legend').textContent = `${Title} ${n + 1}`;
      row.querySelector('.remove-row').setAttribute('aria-label', `Remove ${spec.one} ${n + 1}`);
    });
    none.hidden = rows.children.length > 0;
  };
  const addRow = (item) => {
    const row = spec.row(item);
    row.querySelector('.remove-row').addEventListener('click', () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      (next ? next.querySelector('input') : add).focus();
    });
    rows.append(row);
    return row;
  };
  const reset = () => {
    fill(rows);
    ctx.page[kind].forEach(addRow);
    renumber();
  };
  reset();
  add.addEventListener('click', () => {
    const row = addRow(spec.blank());
    renumber();
    row.querySelector('input').focus();
  });
  const url = `/v1/neighbourhoods/${encodeURIComponent(ctx.layer)}/${encodeURIComponent(ctx.id)}/${kind}`;
  const reread = async () => {
    const r = await readJSON(`/v1/neighbourhoods/${encodeURIComponent(ctx.layer)}/${encodeURIComponent(ctx.id)}/page`);
    ctx.page = r.body;
    ctx.etag = r.etag;
    ctx.refresh();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    alert.textContent = '';
    status.textContent = 'Saving…';
    for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    const items = [...rows.children].map((row) => rowValue(row, kind));
    const r = await send('PUT', url, { [kind]: items }, ctx.etag);
    status.textContent = '';
    if (r.status === 412) {
      // What the planner typed stays; the lists above show the other
      // change, and saving again replaces it.
      try { await reread(); } catch { /* the refusal below says enough */ }
      alert.textContent = 'Not saved: someone else changed this page meanwhile. The lists above now show their change; Save again to replace it with yours.';
      return;
    }
    if (!r.ok) {
      const detail = (r.body && (r.body.detail || r.body.title)) || `status ${r.status}`;
      alert.textContent = `Not saved: ${detail}`;
      // `people[1].contact_details.email: …`: mark and focus that input.
      const at = /^(?:people|priorities)\[(\d+)\]\.([\w.]+)/.exec(detail);
      const row = at && rows.children[Number(at[1])];
      const input = row && row.querySelector(`[data-field="${at[2]}"]`);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
      return;
    }
    ctx.etag = `"v${r.body.version}"`;
    ctx.page = r.body;
    try { await reread(); } catch { ctx.refresh(); }
    reset();
    const n = ctx.page[kind].length;
    status.textContent = `Saved: ${n} ${n === 1 ? spec.one : spec.many} published.`;
    await loadOwners();
  });
  return form;
}

function pageEditor(ctx, close) {
  return el('div', { class: 'page-editor', id: 'page-editor' },
    listForm(ctx, 'people'),
    listForm(ctx, 'priorities'),
    el('button', { type: 'button', class: 'page-close', text: 'Close editor', onclick: close }));
}

// ---- lookup -----------------------------------------------------------------

let pin = null;
async function lookup(query, fly) {
  const out = $('#lookup-result');
  fill(out, el('p', { class: 'muted', text: 'Looking up…' }));
  let a;
  try {
    a = await getJSON(`/v1/feeds/lookup?${query}${state.at ? `&at=${state.at}` : ''}`);
  } catch (e) {
    fill(out, el('p', { class: 'error', text: e.message }));
    return;
  }
  const where = a.community ? `${a.community.name}, ${a.neighbourhood ? a.neighbourhood.name : ''}` : (a.neighbourhood ? a.neighbourhood.name : 'outside every neighbourhood');
  const feeds = a.feeds.map((f) =>
    el('li', {},
      el('a', { href: f.url, target: '_blank', rel: 'noopener', text: f.handle }),
      ` (${f.platform}) — ${f.matched.scope === 'force' ? 'force-wide feed' : `${f.matched.scope} feed for ${f.matched.area_name}`}`));
  const up = a.upcoming;
  fill(out,
    el('p', {}, el('strong', { text: where }), ` · via ${a.via}${a.postcode ? ` ${a.postcode.postcode}` : ''} · coverage: ${a.coverage}${state.at ? ` · as of ${a.at}` : ''}`),
    a.note ? el('p', { class: 'warning', text: a.note }) : null,
    up ? el('p', { class: 'warning' }, `From ${up.from}: `,
      up.areas.map((m) => `${m.layer} ${m.before ? m.before.name : 'none'} → ${m.after ? m.after.name : 'none'}`).join('; '),
      up.feeds_change ? `; feeds then: ${up.feeds.map((f) => f.handle).join(', ') || 'none'}` : '') : null,
    feeds.length ? el('ol', { class: 'feeds' }, feeds) : el('p', { class: 'muted', text: 'No feeds.' }),
  );
  if (pin) pin.remove();
  pin = new maplibregl.Marker({ color: '#d95f02' }).setLngLat([a.point.lon, a.point.lat]).addTo(state.map);
  if (fly) state.map.flyTo({ center: [a.point.lon, a.point.lat], zoom: Math.max(state.map.getZoom(), 12.5), duration: 800 });
}

$('#lookup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = $('#lookup-input').value.trim();
  if (q) lookup(`q=${encodeURIComponent(q)}`, true);
});

// ---- boundary generations ----------------------------------------------------

const KIND_COLOUR = {
  unchanged: '#d9d9d9', renamed: '#80b1d3', changed: '#fdb462', split: '#fb8072',
  merged: '#bc80bd', added: '#b3de69', removed: '#525252',
};

function tileUrls(layer) {
  const at = state.at ? `?at=${state.at}` : '';
  return [`${location.origin}/tiles/${encodeURIComponent(layer)}/{z}/{x}/{y}.mvt${at}`];
}

// Reloads the boundary tiles (after a change of date or an activation).
function reloadTiles() {
  if (!state.map) return;
  state.map.getSource('communities').setTiles(tileUrls(state.commLayer));
  state.map.getSource('neighbourhoods').setTiles(tileUrls(state.hoodLayer));
}

function setAt(date) {
  state.at = date || null;
  $('#at-input').value = date || '';
  reloadTiles();
}
$('#at-input').addEventListener('change', (ev) => setAt(ev.target.value));
$('#at-today').addEventListener('click', () => setAt(null));

async function loadGenerations() {
  let list;
  try {
    list = await getJSON('/v1/releases');
  } catch (e) {
    fill($('#generations'), el('p', { class: 'error', text: e.message }));
    return;
  }
  state.today = list.today;
  const rows = list.generations.map((g) => {
    const scheduled = g.status === 'active' && !g.in_effect && g.valid_from && g.valid_from > list.today;
    const status = g.in_effect ? 'in effect' : scheduled ? `from ${g.valid_from}` : g.status;
    return el('li', { 'data-release': g.release ?? '' },
      el('strong', { text: `${g.layer} ${g.generation}` }), ' ',
      el('span', { class: `status ${scheduled ? 'scheduled' : g.status}`, text: status }), ' ',
      g.label,
      g.valid_to ? el('span', { class: 'muted', text: ` (until ${g.valid_to})` }) : null,
      g.problem ? el('span', { class: 'error', text: ` ${g.problem}` }) : null,
      g.release ? el('button', { type: 'button', class: 'review', text: 'Review', onclick: () => showRelease(g.release) }) : null);
  });
  fill($('#generations'), el('ul', {}, rows));
}

function clearDiff() {
  const map = state.map;
  for (const id of ['diff-new-fill', 'diff-new-line', 'diff-old-line']) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('diff')) map.removeSource('diff');
  state.release = null;
  fill($('#release-detail'));
}

function percent(x) {
  return x === null || x === undefined ? '–' : `${Math.round(x * 100)} %`;
}

async function showRelease(id) {
  const detail = $('#release-detail');
  fill(detail, el('p', { class: 'muted', text: 'Comparing…' }));
  let gen, geo, props, etag;
  try {
    const r = await fetch(`/v1/releases/${id}`);
    etag = r.headers.get('ETag');
    gen = await r.json();
    [geo, props] = await Promise.all([
      getJSON(`/v1/releases/${id}/diff?format=geojson`),
      getJSON(`/v1/releases/${id}/proposals`),
    ]);
  } catch (e) {
    fill(detail, el('p', { class: 'error', text: e.message }));
    return;
  }
  state.release = { id, gen, props };
  const map = state.map;
  if (map.getSource('diff')) map.getSource('diff').setData(geo);
  else map.addSource('diff', { type: 'geojson', data: geo });
  const colour = ['match', ['get', 'kind'], ...Object.entries(KIND_COLOUR).flat(), '#ffffff'];
  if (!map.getLayer('diff-new-fill')) {
    map.addLayer({ id: 'diff-new-fill', type: 'fill', source: 'diff', filter: ['==', ['get', 'side'], 'new'],
      paint: { 'fill-color': colour, 'fill-opacity': 0.55 } });
    map.addLayer({ id: 'diff-new-line', type: 'line', source: 'diff', filter: ['==', ['get', 'side'], 'new'],
      paint: { 'line-color': '#1b1b1b', 'line-width': 1.2 } });
    map.addLayer({ id: 'diff-old-line', type: 'line', source: 'diff', filter: ['==', ['get', 'side'], 'old'],
      paint: { 'line-color': '#d95f02', 'line-width': 2, 'line-dasharray': [2, 2] } });
    map.on('click', 'diff-new-fill', (ev) => {
      const f = ev.features[0];
      const from = JSON.parse(f.properties.predecessors || '[]');
      new maplibregl.Popup().setLngLat(ev.lngLat).setHTML('').setDOMContent(el('div', {},
        el('strong', { text: `${f.properties.name} (${f.properties.kind})` }),
        el('ul', {}, from.map((p) => el('li', { text: `from ${p.name}: ${percent(p.resident_share ?? p.ground_share)}` }))))).addTo(map);
    });
  }
  const kinds = el('p', { class: 'kinds' }, Object.entries(KIND_COLOUR).map(([k, c]) =>
    el('span', {}, el('i', { style: `background:${c}` }), k)));
  const editing = !!state.token && gen.status === 'staged';
  const items = props.proposals.map((p) => proposalRow(id, p, editing));
  const activate = editing ? el('form', { id: 'activate-form', class: 'row' },
    el('label', { for: 'valid-from', text: 'In effect from' }),
    el('input', { id: 'valid-from', type: 'date', value: state.today || '' }),
    el('button', { type: 'submit', text: 'Activate' })) : null;
  if (activate) {
    activate.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await send('POST', `/v1/releases/${id}/activate`, { valid_from: $('#valid-from').value || undefined }, etag);
      if (!r.ok) { editStatus(r.body ? r.body.detail : `Activation failed (${r.status})`, 'error'); return; }
      editStatus(`Activated ${gen.layer} ${gen.generation}: ${r.body.moved} moved, ${r.body.waiting.length} waiting for a person.`);
      await afterBoundaryChange(id);
    });
  }
  fill(detail,
    el('h3', { text: `${gen.layer} ${gen.generation}: ${gen.label}` }),
    el('p', { class: 'muted', text: `${gen.status}${gen.valid_from ? ` from ${gen.valid_from}` : ''} · replaces generation ${gen.follows} · ${gen.areas} areas · old outlines dashed, new areas coloured by change` }),
    kinds,
    el('p', { text: `${props.proposals.length} feeds and decisions on this layer; ${props.waiting} need a person.` }),
    el('ul', { id: 'proposals' }, items),
    activate,
    el('button', { type: 'button', text: 'Close', onclick: clearDiff }));
  const b = geo.features.reduce((acc, f) => {
    const walk = (c) => (typeof c[0] === 'number' ? [Math.min(acc[0], c[0]), Math.min(acc[1], c[1]), Math.max(acc[2], c[0]), Math.max(acc[3], c[1])] : c.reduce((a, x) => { acc = walk(x); return acc; }, acc));
    return f.geometry ? walk(f.geometry.coordinates) : acc;
  }, [180, 90, -180, -90]);
  if (b[0] <= b[2]) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 600 });
}

function proposalRow(id, p, editing) {
  const shown = p.confirmed
    ? el('span', { class: 'confirmed', text: `✓ ${p.on_activation}` })
    : el('span', {}, el('span', { class: `outcome ${p.outcome}`, text: p.outcome }), ` ${p.reason}`);
  let controls = null;
  if (editing) {
    const choice = el('select', { 'aria-label': `successor for ${p.label}` },
      p.proposed ? el('option', { value: '', text: `${p.proposed_name} (proposed)` }) : el('option', { value: '', text: 'choose…' }),
      p.candidates.filter((c) => c.id !== p.proposed).map((c) => el('option', { value: c.id, text: `${c.name} ${percent(c.resident_share ?? c.ground_share)}` })),
      el('option', { value: '-', text: 'none (keep listed)' }));
    const button = el('button', { type: 'button', text: p.confirmed ? 'Change' : 'Confirm' });
    button.addEventListener('click', async () => {
      const v = choice.value;
      const body = v === '' ? {} : { to: v === '-' ? null : v };
      const r = await send('PUT', `/v1/releases/${id}/proposals/${encodeURIComponent(p.subject)}`, body, `"v${p.version}"`);
      if (!r.ok) { editStatus(r.body ? r.body.detail : `Confirm failed (${r.status})`, 'error'); return; }
      editStatus(`${p.label}: ${r.body.on_activation}`);
      await showRelease(id);
    });
    controls = el('span', { class: 'decide' }, choice, button);
  }
  return el('li', { 'data-subject': p.subject },
    el('strong', { text: p.label }), ` on ${p.from_name}: `, shown, controls);
}

// After an activation: the list, the tiles, the plan and labels anew.
async function afterBoundaryChange(id) {
  await loadGenerations();
  reloadTiles();
  await showRelease(id);
  await replan();
  await refreshLabels();
}

// ---- labels and feed markers ---------------------------------------------------

const PLATFORM = { x: '𝕏', facebook: 'f', instagram: 'IG', nextdoor: 'ND', whatsapp: 'WA' };
let markers = [];
let labelSeq = 0;
async function refreshLabels() {
  const seq = ++labelSeq;
  const b = state.map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v))).join(',');
  const fetchLayer = (layer) => getJSON(`/map/points/${encodeURIComponent(layer)}?bbox=${bbox}&limit=300`).catch(() => null);
  const [hoods, comms] = await Promise.all([fetchLayer(state.hoodLayer), fetchLayer(state.commLayer)]);
  if (seq !== labelSeq) return;
  for (const m of markers) m.remove();
  markers = [];
  const add = (p, kind) => {
    const badges = p.feeds.map((f) => {
      const h = state.health[f.feed_id];
      const findings = h ? h.findings : [];
      const open = state.openHandovers[f.feed_id];
      const cls = `feed feed-${f.platform}${findings.length ? ' bad' : ''}${open ? ' handover' : ''}`;
      const title = [`${f.handle} (${f.platform})`, ...findings.map((x) => `${x.rule}: ${x.reason}`), open ? 'handover open' : null].filter(Boolean).join('\n');
      return el('span', { class: cls, 'data-feed': f.feed_id, title, text: PLATFORM[f.platform] || f.platform.slice(0, 2).toUpperCase() });
    });
    const node = el('div', { class: `area-label ${kind}`, 'data-id': p.id },
      el('span', { class: 'label-text', text: p.name }),
      badges.length ? el('span', { class: 'feed-badges', 'aria-label': `feeds: ${p.feeds.map((f) => f.handle).join(', ')}` }, badges) : null);
    markers.push(marker(node, p));
  };
  if (hoods && !hoods.truncated) hoods.points.forEach((p) => add(p, 'hood'));
  // From a town's zoom every community is named; further out, only the
  // chosen suggestions (where they fit).
  const chosen = new Set(state.summary ? state.summary.communities.filter((c) => c.chosen).map((c) => c.id) : []);
  const near = state.map.getZoom() >= 10;
  if (comms && !comms.truncated) comms.points.filter((p) => near || chosen.has(p.id)).forEach((p) => add(p, 'community'));
  for (const s of state.settlements) {
    if (!b.contains([s.lon, s.lat])) continue;
    const node = el('div', { class: 'area-label settlement', 'data-id': s.id }, el('span', { class: 'label-text', text: s.name }));
    markers.push(marker(node, s));
  }
  for (const n of state.residentsNames) {
    if (!b.contains([n.lon, n.lat])) continue;
    const node = el('div', { class: 'area-label residents-name', 'data-id': n.id, title: n.title }, el('span', { class: 'label-text', text: n.text }));
    markers.push(marker(node, n));
  }
  placeLabels();
  leaveNamesToLabels(markers.map((m) => m.getElement().querySelector('.label-text').textContent));
  state.labelledView = viewKey();
}

// The view as text, to tell which view the labels were made for.
function viewKey() {
  const c = state.map.getCenter();
  return `${c.lng},${c.lat},${state.map.getZoom()}`;
}

// The base map's place names that feedmap labels itself (shown or waiting
// for room) are left to feedmap's labels, so no place is named twice.
// Protomaps' place layers filter in the legacy syntax, which a legacy
// "!in" joins; a layer filtered otherwise is left as it is.
const basemapPlaceFilters = new Map();
function leaveNamesToLabels(texts) {
  if (!state.config.basemap) return;
  const names = [...new Set(texts)];
  for (const l of state.map.getStyle().layers) {
    if (l.source !== 'basemap' || l['source-layer'] !== 'places' || l.type !== 'symbol') continue;
    if (!basemapPlaceFilters.has(l.id)) basemapPlaceFilters.set(l.id, l.filter || null);
    const own = basemapPlaceFilters.get(l.id);
    if (own && typeof own[1] !== 'string') continue;
    const leave = ['!in', 'name', ...names];
    state.map.setFilter(l.id, own ? ['all', own, leave] : leave);
  }
}

// A label on the map at `at` (lon, lat). MapLibre names a marker "Map
// marker"; a label is named by its own text instead.
function marker(node, at) {
  const m = new maplibregl.Marker({ element: node }).setLngLat([at.lon, at.lat]).addTo(state.map);
  node.removeAttribute('aria-label');
  return m;
}

// The order labels claim room in: neighbourhoods, then the chosen
// suggestions (best ranked first), then the other suggestions, settlements
// and the remaining communities.
function labelRank(node, planned) {
  const id = node.dataset.id;
  if (node.classList.contains('hood')) return [0, 0];
  const best = planned.get(id);
  if (best && best.chosen) return [1, best.rank];
  if (best) return [2, best.rank];
  if (node.classList.contains('settlement')) return [3, 0];
  if (node.classList.contains('residents-name')) return [3, 1];
  return [4, 0];
}

// Labels that fit: each in rank order takes its place when that lies
// inside the map and clear of the labels placed before it, else it is
// hidden until a zoom makes room. A neighbourhood's name (wrapped) is
// moved inside the map rather than cut at its edge.
function placeLabels() {
  const view = state.map.getContainer().getBoundingClientRect();
  const pad = 2;
  const placed = [];
  const clear = (r) => placed.every((p) => r.right + pad <= p.left || r.left >= p.right + pad || r.bottom + pad <= p.top || r.top >= p.bottom + pad);
  const inside = (r) => r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom;
  // Each community's or settlement's best-ranked suggestion, by id.
  const planned = new Map();
  for (const c of state.summary ? state.summary.communities : []) {
    for (const key of [c.id, c.suggestion]) {
      const had = planned.get(key);
      if (!had || c.rank < had.rank) planned.set(key, c);
    }
  }
  const ranked = markers.map((m) => ({ m, node: m.getElement() }));
  ranked.forEach((x) => { x.rank = labelRank(x.node, planned); });
  ranked.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);
  for (const { m, node } of ranked) {
    node.classList.remove('crowded');
    m.setOffset([0, 0]);
    let r = node.getBoundingClientRect();
    if (node.classList.contains('hood')) {
      const dx = Math.max(view.left + pad - r.left, 0) + Math.min(view.right - pad - r.right, 0);
      const dy = Math.max(view.top + pad - r.top, 0) + Math.min(view.bottom - pad - r.bottom, 0);
      if (dx || dy) {
        m.setOffset([dx, dy]);
        r = { left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy };
      }
    }
    // A community's or settlement's name may sit just above, below or
    // beside its point when the point itself is taken.
    const tries = node.classList.contains('hood') ? [[0, 0]]
      : [[0, 0], [0, -(r.bottom - r.top)], [0, r.bottom - r.top], [-(r.right - r.left) / 2 - 4, 0], [(r.right - r.left) / 2 + 4, 0]];
    const at = tries.map(([dx, dy]) => ({ dx, dy, box: { left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy } }))
      .find((t) => inside(t.box) && clear(t.box));
    if (at) {
      if (at.dx || at.dy) m.setOffset([at.dx, at.dy]);
      placed.push(at.box);
    } else node.classList.add('crowded');
  }
}

// ---- feed owners: health, handovers, consolidation ----------------------------------

// A read with the token when signed in (answers then name administrators).
async function readJSON(url) {
  const r = await fetch(url, state.token ? { headers: { Authorization: `Bearer ${state.token}` } } : {});
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || body.title || r.statusText);
  return { body, etag: r.headers.get('ETag') };
}

// Health, the Guarantee and open handovers: the panel and the marker colours.
async function loadOwners() {
  if (state.readiness && !ready('feed_list')) {
    // Without a feed list there is nothing to own or check: one line.
    $('#owners-section .row').hidden = true;
    fill($('#guarantee'), 'No feed list: add your force\'s accounts ([feeds] in region.toml) to see their health, handovers and the Neighbourhood Policing Guarantee here.');
    return;
  }
  let health, guarantee, handovers;
  try {
    [health, guarantee, handovers] = await Promise.all([
      readJSON('/v1/feeds/health'), readJSON('/v1/guarantee'), readJSON('/v1/handovers?status=open'),
    ]);
  } catch (e) {
    fill($('#owners-detail'), el('p', { class: 'error', text: e.message }));
    return;
  }
  state.health = Object.fromEntries(health.body.feeds.map((f) => [f.feed_id, f]));
  state.openHandovers = Object.fromEntries(handovers.body.handovers.map((h) => [h.feed_id, h]));
  const g = guarantee.body;
  const failing = g.neighbourhoods.filter((n) => !n.meets);
  fill($('#guarantee'),
    `Neighbourhood Policing Guarantee: ${g.meeting} of ${g.neighbourhoods.length} neighbourhoods have an active feed, a published contact, an update within ${g.update_days} days and priorities within ${g.priority_days} days.`,
    failing.length ? el('span', { class: 'warning', text: ` Not yet: ${failing.map((n) => `${n.name} (${n.missing.join('; ')})`).join(', ')}.` }) : null);
  fill($('#handovers'),
    handovers.body.handovers.length ? el('h3', { text: `Open handovers (${handovers.body.handovers.length})` }) : null,
    el('ul', { class: 'handover-list' }, handovers.body.handovers.map(handoverRow)));
  if (state.feedView === 'health') renderHealth(health.body);
  await refreshLabels();
}

function handoverRow(h) {
  const steps = el('ol', { class: 'steps' }, h.steps.map((s) => {
    const done = s.done ? el('span', { class: 'done', text: ` ✓ ${s.done.by}, ${s.done.at.slice(0, 10)}` }) : null;
    const confirm = !s.done && state.token ? el('button', {
      type: 'button', class: 'confirm-step', 'data-step': s.step, text: 'Confirm',
      onclick: async () => {
        const r = await send('PUT', `/v1/handovers/${h.id}/steps/${s.step}`, undefined, `"v${h.version}"`);
        if (!r.ok) { editStatus(r.body ? r.body.detail : `Confirm failed (${r.status})`, 'error'); return; }
        editStatus(r.body.status === 'completed'
          ? `Handover of ${h.handle} completed: the feed is ${r.body.to_team}'s.`
          : `${s.description}: confirmed.`);
        await loadOwners();
      },
    }) : null;
    return el('li', {}, s.description, done, ' ', confirm);
  }));
  const who = h.to_administrators ? ` (${h.to_administrators.join(', ')})` : ` (${h.to_administrator_count} administrators)`;
  return el('li', { 'data-handover': h.id, 'data-feed': h.feed_id },
    el('strong', { text: h.handle || h.feed_id }), ` ${h.from_team || 'no team'} → ${h.to_team}${who}`,
    h.note ? el('div', { class: 'muted', text: h.note }) : null,
    steps);
}

function renderHealth(report) {
  const rows = report.feeds.filter((f) => f.findings.length);
  const counts = report.rules.map((r) => `${r.rule.replace(/_/g, ' ')} ${r.fired}`).join(' · ');
  fill($('#owners-detail'),
    el('p', { class: 'muted', text: `As of ${report.params.at}: ${rows.length} of ${report.feeds.length} feeds need attention. ${counts}` }),
    el('ul', { class: 'health-list', id: 'health-list' }, rows.map((f) => {
      const start = state.token && !f.open_handover ? el('button', {
        type: 'button', class: 'start-handover', text: 'Hand over…', onclick: () => handoverForm(f, item),
      }) : null;
      const item = el('li', { 'data-feed': f.feed_id },
        el('strong', { text: f.handle }), ` ${f.platform} · ${f.area ? f.area.name : 'force-wide'} · ${f.team || 'no team'}`,
        f.administrator_names ? el('div', { class: 'muted', text: `Administrators: ${f.administrator_names.join(', ') || 'none'}` }) : null,
        f.findings.map((x) => el('span', { class: 'finding' }, el('span', { class: 'rule', text: x.rule.replace(/_/g, ' ') }), `: ${x.reason}`)),
        f.open_handover ? el('span', { class: 'finding', text: `Handover ${f.open_handover} open` }) : null,
        start);
      return item;
    })));
}

function handoverForm(f, item) {
  const form = el('form', { class: 'handover-form' },
    el('label', { for: 'ho-team', text: 'To team (a unit or role)' }),
    el('input', { id: 'ho-team', required: 'required' }),
    el('label', { for: 'ho-admins', text: 'New administrators (names, comma-separated)' }),
    el('input', { id: 'ho-admins', required: 'required' }),
    el('label', { for: 'ho-note', text: 'Note' }),
    el('input', { id: 'ho-note' }),
    el('div', { class: 'row' }, el('button', { type: 'submit', text: 'Start handover' })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      to_team: $('#ho-team').value.trim(),
      to_administrators: $('#ho-admins').value.split(',').map((x) => x.trim()).filter(Boolean),
      note: $('#ho-note').value.trim(),
    };
    const r = await send('POST', `/v1/feeds/${encodeURIComponent(f.feed_id)}/handovers`, body);
    if (!r.ok) { editStatus(r.body ? r.body.detail : `Handover failed (${r.status})`, 'error'); return; }
    editStatus(`Handover of ${f.handle} to ${body.to_team} started: ${r.body.remaining} steps to confirm.`);
    await loadOwners();
  });
  item.append(form);
  $('#ho-team').focus();
}

function clearConsolidation() {
  const map = state.map;
  for (const id of ['consolidation-fill', 'consolidation-line']) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('consolidation')) map.removeSource('consolidation');
}

async function showConsolidation() {
  let plan, geo;
  try {
    [plan, geo] = await Promise.all([getJSON('/v1/consolidation'), getJSON('/v1/consolidation?format=geojson')]);
  } catch (e) {
    fill($('#owners-detail'), el('p', { class: 'error', text: e.message }));
    return;
  }
  const map = state.map;
  clearConsolidation();
  map.addSource('consolidation', { type: 'geojson', data: geo });
  map.addLayer({ id: 'consolidation-fill', type: 'fill', source: 'consolidation',
    paint: { 'fill-color': ['match', ['get', 'action'], 'retire', '#a50f15', '#e6550d'], 'fill-opacity': 0.45 } });
  map.addLayer({ id: 'consolidation-line', type: 'line', source: 'consolidation',
    paint: { 'line-color': '#7f2704', 'line-width': 2 } });
  fill($('#owners-detail'),
    el('p', { class: 'muted', text: `${plan.feeds_now} active feeds now, ${plan.feeds_after} after ${plan.changes.length === 1 ? 'this change' : `these ${plan.changes.length} changes`} (merge in orange, retire in red).` }),
    el('ol', { class: 'changes', id: 'changes' }, plan.changes.map(changeRow)),
    plan.rejected.length ? el('h3', { text: "Kept by planners' decisions" }) : null,
    plan.rejected.length ? el('ul', { class: 'changes', id: 'kept' }, plan.rejected.map(changeRow)) : null,
    el('a', { class: 'button', href: '/v1/consolidation?format=csv', download: 'consolidation.csv', text: 'Export CSV' }));
}

function changeRow(c) {
  return el('li', { 'data-feed': c.feed_id },
    el('strong', { text: `${c.action === 'merge' ? 'Merge' : 'Retire'} ${c.handle}` }),
    c.into ? ` into ${c.into.handle}` : '',
    c.decision ? el('span', { class: 'badge', text: ` ${PAST[c.decision.decision]} by ${c.decision.by}` }) : null,
    el('div', { text: c.explanation }),
    decisionControls(c.feed_id, c.decision, '@feeds', showConsolidation));
}

async function setFeedView(view) {
  state.feedView = state.feedView === view ? null : view;
  $('#show-health').setAttribute('aria-pressed', String(state.feedView === 'health'));
  $('#show-consolidation').setAttribute('aria-pressed', String(state.feedView === 'consolidation'));
  clearConsolidation();
  fill($('#owners-detail'));
  if (state.feedView === 'health') await loadOwners();
  if (state.feedView === 'consolidation') await showConsolidation();
}
$('#show-health').addEventListener('click', () => setFeedView('health'));
$('#show-consolidation').addEventListener('click', () => setFeedView('consolidation'));

// ---- the residents' question ---------------------------------------------------------

// Shown only when the region asks it (GET /v1/question answers 200): the
// residents' names layer, answers per area in the selected area's panel,
// the counts as CSV, and for planners the areas held for review and a form
// to leave a window of an area's answers out.
async function loadQuestion() {
  let r;
  try {
    r = await fetch('/v1/question');
  } catch {
    return;
  }
  if (r.status !== 200) return;
  try {
    state.question = await r.json();
  } catch {
    state.question = null;
    return;
  }
  $('#question-section').hidden = false;
  $('#names-switch').hidden = false;
  $('#names-legend').hidden = false;
  $('#question-csv').href = `/v1/question/counts.csv?layer=${encodeURIComponent(state.commLayer)}`;
  await refreshVoice();
  if (state.selected) await selectHood(state.selected, state.focus, false);
}

function minCount(layer) {
  const a = state.voiceAreas[layer];
  return (a && a.min_count) || (state.question && state.question.min_count) || 10;
}

// A residents' name as its label says it: "Sale Moor · 78 %".
function nameLabel(p) {
  const share = typeof p.share === 'number' ? Math.round(p.share <= 1 ? p.share * 100 : p.share) : null;
  return share === null ? p.name : `${p.name} · ${share} %`;
}

// Reads the names and the answers per area anew, then the holds and the
// labels.
async function refreshVoice() {
  if (!state.question) return;
  const q = (layer) => `layer=${encodeURIComponent(layer)}`;
  const [names, comm, hood] = await Promise.all([
    getJSON(`/v1/question/names.geojson?${q(state.commLayer)}`).catch(() => null),
    getJSON(`/v1/question/areas?${q(state.commLayer)}`).catch(() => null),
    getJSON(`/v1/question/areas?${q(state.hoodLayer)}`).catch(() => null),
  ]);
  state.residentsNames = ((names && names.features) || []).filter((f) => f.geometry).map((f) => {
    const p = f.properties;
    return {
      id: p.id, name: p.name, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], text: nameLabel(p),
      title: `${p.area_name}: ${fmt.format(p.count)} of ${fmt.format(p.answers)} residents who answered call it ${p.name}`,
    };
  });
  state.voiceAreas = { [state.commLayer]: comm, [state.hoodLayer]: hood };
  const min = minCount(state.commLayer);
  const total = comm && comm.answers !== null && comm.answers !== undefined ? comm.answers : null;
  $('#question-summary').textContent = total !== null
    ? `${fmt.format(total)} residents have answered; ${(comm.areas || []).length} areas have ${min} or more answers (figures under ${min} are not shown).`
    : `Fewer than ${min} answers counted so far (figures under ${min} are not shown).`;
  await loadHolds();
  if (state.map && state.map.loaded()) await refreshLabels();
}

// What residents answered for one area: "142 answers; 61 % would follow".
function voiceText(layer, id) {
  const data = state.voiceAreas[layer];
  if (!data) return null;
  const min = minCount(layer);
  const a = (data.areas || []).find((x) => x.id === id);
  if (!a || a.answers === null || a.answers === undefined) return `fewer than ${min} answers`;
  let text = `${fmt.format(a.answers)} answer${a.answers === 1 ? '' : 's'}`;
  const yes = a.follow && a.follow.yes;
  if (yes !== null && yes !== undefined && a.answers) text += `; ${Math.round((100 * yes) / a.answers)} % would follow`;
  const top = (a.names || []).slice().sort((x, y) => y.count - x.count)[0];
  if (top && a.answers) text += `; ${Math.round((100 * top.count) / a.answers)} % call it ${placeCase(top.name)}`;
  return text;
}

// A residents' name as counted (lower case) in the region's own casing
// when an area or settlement of that name is known, else in title case
// keeping the small words of place names lower ("Newton upon Ouse").
const SMALL_WORDS = new Set(['upon', 'on', 'under', 'le', 'the', 'and', 'of', 'in']);
function placeCase(name) {
  const known = [...state.residentsNames.map((n) => n.name), ...state.settlements.map((x) => x.name),
    ...(state.summary ? state.summary.neighbourhoods.map((n) => n.name) : [])];
  const same = known.find((k) => k && k.toLowerCase() === name.toLowerCase());
  if (same) return same;
  return name.split(' ').map((w, i) => (i > 0 && SMALL_WORDS.has(w) ? w : w.charAt(0).toUpperCase() + w.slice(1))).join(' ');
}

function voiceLine(layer, id, prefix) {
  if (!state.question) return null;
  const text = voiceText(layer, id);
  return text ? el('div', { class: 'voice-line', 'data-area': id, text: `${prefix}${text}` }) : null;
}

// The selected area's answers, and for a planner the exclusion form.
function voiceSection(id, name, focus) {
  if (!state.question) return null;
  const focused = focus ? (state.summary && state.summary.communities.find((c) => c.id === focus)) : null;
  const focusName = focused ? focused.name : focus;
  const rows = [el('li', {}, el('strong', { text: `${name}: ` }), voiceText(state.hoodLayer, id) || 'not read')];
  if (focus) rows.push(el('li', {}, el('strong', { text: `${focusName}: ` }), voiceText(state.commLayer, focus) || 'not read'));
  const areas = [[state.hoodLayer, id, name]];
  if (focus) areas.unshift([state.commLayer, focus, focusName]);
  return el('section', { class: 'voice', 'aria-labelledby': 'voice-title' },
    el('h4', { id: 'voice-title', tabindex: '-1', text: "Residents' answers" }),
    el('ul', { class: 'voice-figures' }, rows),
    state.token ? exclusionForm(areas) : null);
}

// "Exclude answers…": a window of one area's answers left out (POST
// /v1/question/exclusions), from and to in the planner's local time.
function exclusionForm(areas) {
  const field = (key, label, input) => {
    const id = `ex-${key}`;
    input.id = id;
    input.setAttribute('data-field', key);
    input.setAttribute('aria-describedby', `${id}-error`);
    return [el('label', { for: id, text: label }), input, el('p', { id: `${id}-error`, class: 'error field-error' })];
  };
  const area = el('select', {}, areas.map(([layer, , name], i) => el('option', { value: String(i), text: `${name} (${layer})` })));
  const from = el('input', { type: 'datetime-local', required: '' });
  const to = el('input', { type: 'datetime-local', required: '' });
  const reason = el('input', { type: 'text', required: '', maxlength: '500' });
  const status = el('p', { class: 'muted form-status', role: 'status' });
  const form = el('form', { class: 'exclude-form', novalidate: '', 'aria-label': 'Exclude answers' },
    field('area', 'Area', area), field('from', 'From', from), field('to', 'To', to), field('reason', 'Reason', reason),
    el('button', { type: 'submit', text: 'Exclude these answers' }), status);
  const mark = (key, text) => {
    const input = form.querySelector(`[data-field="${key}"]`) || reason;
    input.setAttribute('aria-invalid', 'true');
    form.querySelector(`#${input.id}-error`).textContent = text;
    input.focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
    status.textContent = '';
    if (!from.value) return mark('from', 'Give the start of the window.');
    if (!to.value) return mark('to', 'Give the end of the window.');
    if (new Date(to.value) <= new Date(from.value)) return mark('to', 'The end must come after the start.');
    if (!reason.value.trim()) return mark('reason', 'Say why these answers are left out (it is kept in the audit log).');
    const [layer, id] = areas[Number(area.value)];
    const r = await send('POST', '/v1/question/exclusions', {
      layer, area: id, from: utc(from.value), to: utc(to.value), reason: reason.value.trim(),
    });
    if (!r.ok) {
      const detail = (r.body && (r.body.detail || r.body.title)) || `status ${r.status}`;
      const named = /^(\w+): /.exec(detail);
      const key = String((r.body && r.body.field) || (named && named[1]) || 'reason').replace(/^layer$/, 'area');
      mark(['area', 'from', 'to', 'reason'].includes(key) ? key : 'reason', `Not excluded: ${detail}`);
      return;
    }
    const say = $('#question-status');
    say.className = 'muted';
    say.textContent = `Excluded the answers of ${area.selectedOptions[0].textContent} from ${from.value.replace('T', ' ')} to ${to.value.replace('T', ' ')}.`;
    await refreshVoice();
    if (state.selected) await selectHood(state.selected, state.focus, false);
    const title = $('#voice-title');
    if (title) title.focus();
  });
  return el('details', { class: 'exclude' }, el('summary', { text: 'Exclude answers…' }), form);
}

// A datetime-local value (the planner's time) as UTC, to the second:
// "2026-12-07T14:00:00Z".
function utc(local) {
  return new Date(local).toISOString().replace(/\.\d+Z$/, 'Z');
}

function when(unix) {
  return new Date(unix * 1000).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// Areas held for review (planners only): Release or Exclude each.
async function loadHolds() {
  const box = $('#holds');
  if (!state.question || !state.token) {
    fill(box);
    return;
  }
  let r;
  try {
    r = await readJSON('/v1/question/holds');
  } catch (e) {
    fill(box, el('p', { class: 'error', text: `Held for review: ${e.message}` }));
    return;
  }
  const holds = (r.body.holds || []).filter((h) => h.status === 'held');
  fill(box,
    el('h3', { id: 'holds-title', tabindex: '-1', text: `Held for review (${holds.length})` }),
    holds.length
      ? el('ul', { class: 'holds-list', 'aria-labelledby': 'holds-title' }, holds.map(holdRow))
      : el('p', { class: 'muted', text: 'No area is held for review.' }));
}

function holdRow(h) {
  const name = h.area_name || h.area_id;
  const min = minCount(state.commLayer);
  const figures = h.held || h.held_answers;
  const held = figures && figures.answers !== null && figures.answers !== undefined
    ? `${fmt.format(figures.answers)} answers held` : `fewer than ${min} answers held`;
  const usual = typeof h.usual === 'number' ? (Math.round(h.usual * 10) / 10).toString() : '?';
  const act = async (decision) => {
    const r = await send('POST', `/v1/question/holds/${h.id}`, { decision }, `"v${h.version}"`);
    const say = $('#question-status');
    if (r.status === 412 || r.status === 409) {
      say.className = 'warning';
      say.textContent = `Someone else decided on ${name} meanwhile; the list now shows it.`;
    } else if (!r.ok) {
      say.className = 'error';
      say.textContent = `Not saved: ${(r.body && r.body.detail) || r.status}`;
    } else {
      say.className = 'muted';
      say.textContent = decision === 'release'
        ? `Released ${name}: its held answers now count.`
        : `Excluded ${name}: its held answers, and those since the burst began, are left out.`;
    }
    await refreshVoice();
    if (state.selected) await selectHood(state.selected, state.focus, false);
    const title = $('#holds-title');
    if (title) title.focus();
  };
  return el('li', { 'data-hold': h.id, 'data-area': h.area_id },
    el('strong', { text: name }), el('span', { class: 'muted', text: ` (${h.layer} ${h.area_id})` }),
    el('div', { text: `Held ${when(h.detected)}: ${fmt.format(h.attempts)} attempts to answer since ${when(h.since)}, against about ${usual} usually; ${held}.` }),
    el('div', { class: 'row hold-actions', role: 'group', 'aria-label': `Decide on ${name}` },
      el('button', { type: 'button', class: 'hold-release', 'aria-label': `Release the answers held for ${name}`, text: 'Release', onclick: () => act('release') }),
      el('button', { type: 'button', class: 'hold-exclude', 'aria-label': `Exclude the answers held for ${name}`, text: 'Exclude', onclick: () => act('exclude') })));
}

// ---- toggles ---------------------------------------------------------------------

function toggle(id, layers, bodyClass) {
  $(id).addEventListener('change', (ev) => {
    const on = ev.target.checked;
    for (const l of layers) state.map.setLayoutProperty(l, 'visibility', on ? 'visible' : 'none');
    if (bodyClass) document.body.classList.toggle(bodyClass, !on);
  });
}

// ---- start ---------------------------------------------------------------------------

// The base map's layers left out: points of interest and road shields
// (clutter beside a plan, and icons the embedded sprite does not draw).
const BASEMAP_LEFT_OUT = ['pois', 'roads_shields'];

// Loads one of the page's own scripts (the base map's, only when there is one).
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = el('script', { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

// The offline base map: the server's PMTiles archive read in byte ranges
// (pmtiles://), drawn with the Protomaps style in its light flavour, with
// the glyphs and sprite the server embeds. Nothing comes from elsewhere.
async function protomapsStyle(basemap) {
  await loadScript('/map/pmtiles.js');
  await loadScript('/map/basemaps.js');
  const protocol = new window.pmtiles.Protocol();
  maplibregl.addProtocol('pmtiles', protocol.tile);
  const b = window.basemaps;
  return {
    version: 8,
    glyphs: `${location.origin}/basemap/fonts/{fontstack}/{range}.pbf`,
    sprite: `${location.origin}/basemap/sprite`,
    sources: {
      basemap: {
        type: 'vector',
        url: `pmtiles://${location.origin}${basemap.url}`,
        attribution: basemap.attribution || '',
      },
    },
    layers: b.layers('basemap', b.namedFlavor('light'), { lang: 'en' })
      .filter((l) => !BASEMAP_LEFT_OUT.includes(l.id)),
  };
}

async function baseStyle(config) {
  if (config.basemap_style_url) return config.basemap_style_url;
  if (config.basemap) return protomapsStyle(config.basemap);
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
  };
}

// Whether the readiness report has the input `key` (true when unknown).
function ready(key) {
  const item = state.readiness && state.readiness.items.find((i) => i.key === key);
  return !item || item.ready;
}

// A layer switch with nothing to show: off, disabled, and saying why.
function disableToggle(id, why) {
  const input = $(id);
  if (input.disabled) return;
  if (input.checked) input.click();
  input.disabled = true;
  const label = input.closest('label');
  label.classList.add('disabled');
  label.title = why;
  label.append(el('span', { class: 'why', text: ` (${why})` }));
}

// Switches that would show nothing, from the readiness report and the
// settlements found.
function explainEmpty() {
  if (!ready('settlements')) {
    disableToggle('#t-residential', 'needs a postcode directory or census areas with residents');
    disableToggle('#t-settlements', 'needs a postcode directory, census areas or built-up areas');
  } else if (state.settlementCount === 0) {
    disableToggle('#t-settlements', 'none found: see the plan\'s settlements note');
  }
  if (!ready('feed_list')) disableToggle('#t-feeds', 'no feed list');
}

// What the region can do with its data, and for what it lacks, the cost
// and where to get it (the same report as `feedmap init` and /health).
async function showReadiness() {
  let health;
  try {
    health = await getJSON('/health');
  } catch (e) {
    return;
  }
  const r = health.readiness;
  if (!r) return;
  state.readiness = r;
  const box = $('#readiness');
  box.hidden = false;
  $('#readiness-summary').textContent = r.ready === r.of
    ? `This region has all its data (${r.ready} of ${r.of})`
    : `⚠ This region lacks ${r.of - r.ready} of ${r.of} inputs: what that costs`;
  box.classList.toggle('incomplete', r.ready !== r.of);
  fill($('#readiness-items'), ...r.items.map((i) => el('li', { class: i.ready ? 'ready' : 'missing', 'data-key': i.key },
    el('strong', { text: `${i.ready ? '✓' : '✗'} ${i.title}` }), ` — ${i.detail}`,
    i.costs ? el('div', { class: 'muted', text: `Without it: ${i.costs}` }) : null,
    i.get ? el('div', { class: 'muted', text: `Get it: ${i.get}` }) : null)));
  if (r.ready !== r.of) box.open = true;
}

// The map as it is on screen, as a PNG to put in a briefing: the drawn
// map, the labels shown (with their halo), the region's name and the
// attribution. The canvas is read in the frame it is drawn in.
async function viewPng() {
  const map = state.map;
  const canvas = map.getCanvas();
  const image = await new Promise((resolve) => {
    map.once('render', () => {
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      copy.getContext('2d').drawImage(canvas, 0, 0);
      resolve(copy);
    });
    map.triggerRepaint();
  });
  const scale = canvas.width / canvas.clientWidth;
  const g = image.getContext('2d');
  g.scale(scale, scale);
  const view = map.getContainer().getBoundingClientRect();
  const text = (t, x, y, font, align = 'center') => {
    g.font = font;
    g.textAlign = align;
    g.textBaseline = 'middle';
    g.lineWidth = 3;
    g.lineJoin = 'round';
    g.strokeStyle = 'rgba(255,255,255,0.9)';
    g.strokeText(t, x, y);
    g.fillStyle = '#1b1b1b';
    g.fillText(t, x, y);
  };
  let labels = 0;
  for (const node of document.querySelectorAll('.area-label:not(.crowded) .label-text')) {
    if (getComputedStyle(node).display === 'none') continue;
    const r = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    text(node.textContent, r.left - view.left + r.width / 2, r.top - view.top + r.height / 2, `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`);
    labels += 1;
  }
  text(state.config.region, 12, 16, 'bold 15px system-ui, sans-serif', 'left');
  text(state.config.attribution, canvas.clientWidth - 8, canvas.clientHeight - 10, '11px system-ui, sans-serif', 'right');
  state.lastPng = { width: image.width, height: image.height, labels };
  const blob = await new Promise((resolve) => image.toBlob(resolve, 'image/png'));
  const a = el('a', { href: URL.createObjectURL(blob), download: `feedmap-${state.config.region.replace(/[^A-Za-z0-9]+/g, '-')}-map.png` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// The printable page of one neighbourhood (`/#print=ID&…parameters`, in
// the fragment, which the page reads and the server never sees):
// the plan's parameters from the address, the map fitted to it, its
// ranked suggestions with their reasons; laid out for A4 (style.css).
const PRINT = new URLSearchParams(location.hash.slice(1)).get('print');

function applyAddressParams() {
  const q = new URLSearchParams(location.hash.slice(1));
  for (const input of form.elements) {
    if (!input.name || !q.has(input.name)) continue;
    if (input.type === 'checkbox') input.checked = q.get(input.name) === 'true';
    else input.value = q.get(input.name);
  }
  $('#p-full-ranking').checked = q.get('max_new_feeds_per_neighbourhood') === 'none';
}

async function printPage() {
  const hood = state.summary.neighbourhoods.find((n) => n.id === PRINT);
  if (!hood) {
    fill($('#detail'), el('p', { class: 'error', text: `No neighbourhood ${PRINT} in this plan.` }));
    return;
  }
  const [w, s, e, n] = hood.bbox;
  state.map.fitBounds([[w, s], [e, n]], { padding: 20, duration: 0 });
  await new Promise((resolve) => state.map.once('idle', resolve));
  await refreshLabels();
  await selectHood(PRINT, null, false);
  for (const d of $('#detail').querySelectorAll('details')) d.open = true;
  fill($('#print-head'),
    el('h1', { text: `${state.config.region}: ${hood.name}` }),
    el('p', { class: 'muted', text: `Suggested local feeds, planned ${new Date().toISOString().slice(0, 10)} by feedmap · ${state.summary.summary.chosen} chosen in the force · parameters: ${[...new URLSearchParams(paramQuery())].filter(([k]) => !k.endsWith('_layer')).map(([k, v]) => `${k}=${v}`).join(', ')}` }));
  document.body.dataset.printReady = 'true';
}

async function start() {
  if (PRINT) {
    document.body.classList.add('print');
    applyAddressParams();
  }
  showOutputs();
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved, true);
  const config = await getJSON('/map/config.json');
  state.config = config;
  $('#region-name').textContent = config.region;
  if (config.lookup_examples && config.lookup_examples.length) {
    $('#lookup-input').placeholder = `e.g. ${config.lookup_examples.join(' or ')}`;
  }
  await showReadiness();
  $('#no-basemap').hidden = Boolean(config.basemap_style_url || config.basemap);
  fill($('#legend-classes'), ...Object.entries(CLASSES).map(([name, c]) => el('div', { 'data-class': name },
    el('span', { class: 'swatch', style: `background:${c.colour};opacity:${c.opacity}` }), ` ${c.label}`)));
  document.title = `feedmap – ${config.region}`;
  const hood = config.layers.find((l) => l.role === 'neighbourhood');
  const comm = config.layers.find((l) => l.role === 'community');
  if (!hood || !comm) {
    $('#plan-status').textContent = 'This region needs a neighbourhood and a community layer to plan.';
    return;
  }
  state.hoodLayer = hood.id;
  state.commLayer = comm.id;
  const e = hood.extent;
  const map = new maplibregl.Map({
    container: 'map',
    style: await baseStyle(config),
    bounds: [[e[0], e[1]], [e[2], e[3]]],
    // Keep the region clear of the layer switch (top left) and legend (bottom left).
    fitBoundsOptions: { padding: { top: 60, bottom: 30, left: 250, right: 60 } },
    attributionControl: false,
    maxZoom: 18,
    // Printing draws the canvas as it is.
    canvasContextAttributes: { preserveDrawingBuffer: Boolean(PRINT) },
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: config.attribution }), 'bottom-right');
  map.on('error', (ev) => {
    state.errors.push(String(ev.error && ev.error.message ? ev.error.message : ev.error));
  });
  map.on('load', async () => {
    // The base map's layers (all of the style so far), for its switch.
    const baseLayers = map.getStyle().layers.filter((l) => l.type !== 'background').map((l) => l.id);
    $('#basemap-switch').hidden = baseLayers.length === 0;
    map.addSource('communities', { type: 'vector', tiles: tileUrls(comm.id), promoteId: 'id', maxzoom: 14 });
    map.addSource('neighbourhoods', { type: 'vector', tiles: tileUrls(hood.id), promoteId: 'id', maxzoom: 14 });
    map.addLayer({
      id: 'communities-fill', type: 'fill', source: 'communities', 'source-layer': comm.id,
      paint: {
        'fill-color': classPaint('colour'),
        'fill-opacity': overBase(classPaint('opacity')),
      },
    });
    map.addLayer({
      id: 'communities-line', type: 'line', source: 'communities', 'source-layer': comm.id,
      paint: {
        'line-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#d95f02', '#7a7a7a'],
        'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3, 0.7],
      },
    });
    map.addLayer({
      id: 'neighbourhoods-fill', type: 'fill', source: 'neighbourhoods', 'source-layer': hood.id,
      paint: { 'fill-color': '#000', 'fill-opacity': 0 },
    });
    map.addLayer({
      id: 'neighbourhoods-line', type: 'line', source: 'neighbourhoods', 'source-layer': hood.id,
      paint: {
        'line-color': '#1b1b1b',
        'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 4.5, 2],
      },
    });
    // Where people live: the residential points aggregated by the server
    // into density tiles (a few requests per view, never one per point),
    // drawn as a heatmap, then as dots from street zoom; and the
    // settlements discovered from them, outlined.
    map.addSource('residential', {
      type: 'vector', tiles: [`${location.origin}/residential/{z}/{x}/{y}.mvt`], maxzoom: 16,
    });
    map.addLayer({
      id: 'residential-heat', type: 'heatmap', source: 'residential', 'source-layer': 'residential', maxzoom: 15,
      paint: {
        'heatmap-weight': ['interpolate', ['linear'], ['get', 'points'], 0, 0, 3, 1],
        'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 6, 1, 14, 2],
        'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 6, 4, 12, 8, 14, 14],
        'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], 13, 0.85, 15, 0],
        'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'],
          0, 'rgba(84,39,143,0)', 0.15, 'rgba(158,154,200,0.55)', 0.5, 'rgba(106,81,163,0.75)', 1, 'rgba(63,0,125,0.9)'],
      },
    });
    map.addLayer({
      id: 'residential-dots', type: 'circle', source: 'residential', 'source-layer': 'residential', minzoom: 13,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 17, 4],
        'circle-color': '#54278f',
        'circle-opacity': ['interpolate', ['linear'], ['zoom'], 13, 0, 14, 0.75],
      },
    });
    map.addSource('settlements', { type: 'geojson', data: `${location.origin}/v1/settlements` });
    map.addLayer({
      id: 'settlements-line', type: 'line', source: 'settlements',
      paint: { 'line-color': '#54278f', 'line-width': 1.5, 'line-dasharray': [3, 2] },
    });
    try {
      const found = await getJSON('/v1/settlements');
      // Named ones only: "Settlement in Bowdon" would hide the name of
      // the place itself.
      state.settlementCount = found.features.length;
      state.settlements = found.features
        .filter((f) => !f.properties.name_source.includes('no local names given'))
        .map((f) => ({ id: f.id, name: f.properties.name, lon: f.properties.centre.lon, lat: f.properties.centre.lat }));
    } catch (e) {
      state.settlementCount = null;
      state.settlements = [];
    }
    toggle('#t-residential', ['residential-heat', 'residential-dots'], null);
    toggle('#t-settlements', ['settlements-line'], 'hide-settlements');
    $('#export-png').addEventListener('click', () => viewPng());
    toggle('#t-neighbourhoods', ['neighbourhoods-line'], null);
    toggle('#t-communities', ['communities-fill', 'communities-line'], null);
    toggle('#t-labels', [], 'hide-labels');
    toggle('#t-feeds', [], 'hide-feeds');
    toggle('#t-basemap', baseLayers, null);
    toggle('#t-names', [], 'hide-names');
    explainEmpty();
    map.on('click', async (ev) => {
      const hit = map.queryRenderedFeatures(ev.point, { layers: ['communities-fill', 'neighbourhoods-fill'] });
      const c = hit.find((f) => f.layer.id === 'communities-fill');
      const h = hit.find((f) => f.layer.id === 'neighbourhoods-fill');
      const planned = c && state.summary && state.summary.communities.find((x) => x.id === c.properties.id);
      const hoodId = planned ? planned.neighbourhood : h && h.properties.id;
      lookup(`lat=${ev.lngLat.lat.toFixed(6)}&lon=${ev.lngLat.lng.toFixed(6)}`, false);
      if (hoodId) await selectHood(hoodId, c ? c.properties.id : null, false);
    });
    map.on('mousemove', (ev) => {
      const hit = map.queryRenderedFeatures(ev.point, { layers: ['communities-fill'] });
      map.getCanvas().style.cursor = hit.length ? 'pointer' : '';
    });
    map.on('moveend', refreshLabels);
    await replan();
    await refreshLabels();
    if (PRINT) await printPage();
    await loadGenerations();
    await loadOwners();
    await loadQuestion();
    state.ready = true;
    document.body.dataset.ready = 'true';
  });
}

start().catch((e) => {
  $('#plan-status').textContent = `The map could not start: ${e.message}`;
});
