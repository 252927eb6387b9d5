/*
 * feedmap's "your local police feeds" widget. One tag puts a postcode or
 * place box and the answer on any page:
 *
 *   <script src="https://HOST/embed.js" data-postcode-box></script>
 *
 * It asks only HOST (GET /v1/feeds/lookup?q=…), from any origin the
 * server's --cors-origins allows. Style it from the host page with CSS
 * custom properties on the widget's element (feedmap-widget) or any
 * ancestor:
 *   --feedmap-font, --feedmap-text, --feedmap-background, --feedmap-muted,
 *   --feedmap-accent, --feedmap-accent-text, --feedmap-border,
 *   --feedmap-radius, --feedmap-focus.
 * Optional attributes: data-label (the box's label), data-postcode (look
 * it up at once), data-from-url (look up ?postcode= of the page's URL: the
 * /embed page does this).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var base = script.src.replace(/\/embed\.js(\?.*)?$/, '');
  var count = (window.__feedmapWidgets = (window.__feedmapWidgets || 0) + 1);

  var PLATFORMS = {
    x: ['X', 'X'],
    twitter: ['X', 'X'],
    facebook: ['Facebook', 'f'],
    instagram: ['Instagram', 'IG'],
    nextdoor: ['Nextdoor', 'N'],
    whatsapp: ['WhatsApp', 'WA'],
    youtube: ['YouTube', 'YT'],
  };

  var CSS =
    ':host{display:block;font-family:var(--feedmap-font,system-ui,sans-serif);color:var(--feedmap-text,#1b1b1b);' +
    'background:var(--feedmap-background,#fff);border:1px solid var(--feedmap-border,#6f777b);' +
    'border-radius:var(--feedmap-radius,6px);padding:1rem;max-width:32rem;line-height:1.4}' +
    'form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}' +
    'label{flex-basis:100%;font-weight:600}' +
    'input{flex:1 1 12rem;font:inherit;padding:.45rem .6rem;color:inherit;background:var(--feedmap-background,#fff);' +
    'border:2px solid var(--feedmap-text,#1b1b1b);border-radius:var(--feedmap-radius,6px)}' +
    'button{font:inherit;font-weight:600;padding:.5rem 1rem;border:2px solid transparent;cursor:pointer;' +
    'color:var(--feedmap-accent-text,#fff);background:var(--feedmap-accent,#005ea5);border-radius:var(--feedmap-radius,6px)}' +
    'input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--feedmap-focus,#0b0c0c);outline-offset:2px}' +
    '.answer:empty{display:none}.answer{margin-top:.75rem}' +
    '.areas{margin:0 0 .5rem}.muted{color:var(--feedmap-muted,#505a5f)}' +
    'ul{list-style:none;margin:0;padding:0}li{margin:.35rem 0}' +
    'a{color:var(--feedmap-accent,#005ea5);text-decoration:underline;display:inline-flex;gap:.5rem;align-items:center}' +
    '.icon{display:inline-grid;place-items:center;min-width:1.8rem;height:1.8rem;padding:0 .2rem;border-radius:50%;font-size:.75rem;' +
    'font-weight:700;color:var(--feedmap-accent-text,#fff);background:var(--feedmap-accent,#005ea5);text-decoration:none}' +
    '.handle{color:var(--feedmap-muted,#505a5f)}.error{color:#b10e1e;font-weight:600}' +
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.attribution{margin:.75rem 0 0;font-size:.8rem}';

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function feedItem(f) {
    var p = PLATFORMS[f.platform] || [f.platform.charAt(0).toUpperCase() + f.platform.slice(1), f.platform.slice(0, 2).toUpperCase()];
    var link = el('a', { href: f.url, target: '_blank', rel: 'noopener noreferrer' }, [
      el('span', { class: 'icon', 'aria-hidden': 'true', text: p[1] }),
      el('span', {}, [
        el('span', { class: 'name', text: f.name }), ' ',
        el('span', { class: 'handle', text: f.handle }),
        el('span', { class: 'vh', text: ' on ' + p[0] + ' (opens in a new tab)' }),
      ]),
    ]);
    return el('li', { 'data-feed': f.feed_id, 'data-platform': f.platform }, [link]);
  }

  function render(answer, out, attribution) {
    out.textContent = '';
    attribution.textContent = answer.attribution || '';
    var names = [answer.community, answer.neighbourhood].filter(Boolean).map(function (a) { return a.name; });
    var where = names.length ? names.join(', ') : 'this area';
    out.appendChild(el('p', { class: 'areas' }, [
      answer.feeds.length ? 'Police feeds for ' : 'No police feeds for ',
      el('strong', { text: where }),
    ]));
    if (answer.feeds.length) {
      out.appendChild(el('ul', { 'aria-label': 'Feeds, most local first' }, answer.feeds.map(feedItem)));
    }
    var near = (answer.near_boundary || []).map(function (a) { return a.name; });
    if (near.length) {
      out.appendChild(el('p', { class: 'muted', text: 'Near the boundary with ' + near.join(', ') + '.' }));
    }
  }

  function widget() {
    var host = el('feedmap-widget', { 'data-widget': String(count) });
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    var id = 'feedmap-q-' + count;
    var input = el('input', { id: id, name: 'q', type: 'text', autocomplete: 'postal-code', required: '', spellcheck: 'false' });
    var button = el('button', { type: 'submit', text: 'Find feeds' });
    var form = el('form', { role: 'search', 'aria-label': 'Find your local police feeds' }, [
      el('label', { for: id, text: script.getAttribute('data-label') || 'Postcode or place' }),
      input,
      button,
    ]);
    var out = el('div', { class: 'answer', role: 'status', 'aria-live': 'polite' });
    var attribution = el('p', { class: 'attribution muted' });
    root.appendChild(el('style', { text: CSS }));
    root.appendChild(form);
    root.appendChild(out);
    root.appendChild(attribution);

    var asked = 0;
    function ask(text) {
      var mine = ++asked;
      out.textContent = 'Looking up ' + text + '…';
      host.setAttribute('aria-busy', 'true');
      fetch(base + '/v1/feeds/lookup?q=' + encodeURIComponent(text), { headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.json()
            .catch(function () { return {}; })
            .then(function (body) { return { ok: r.ok, status: r.status, wait: r.headers.get('Retry-After'), body: body }; });
        })
        .then(function (r) {
          if (mine !== asked) return;
          if (r.ok) render(r.body, out, attribution);
          else {
            out.textContent = '';
            out.appendChild(el('p', { class: 'error', 'data-status': String(r.status), text: trouble(r, text) }));
          }
        })
        .catch(function () {
          if (mine !== asked) return;
          out.textContent = '';
          out.appendChild(el('p', { class: 'error', text: 'The feeds could not be fetched; try again.' }));
        })
        .then(function () { if (mine === asked) host.removeAttribute('aria-busy'); });
    }
    // What went wrong, told apart: too many requests (and how long to
    // wait), a site the service does not allow, nothing found.
    function trouble(r, text) {
      if (r.status === 429) {
        return 'Too many requests just now; try again in ' + (r.wait ? r.wait + ' s' : 'a minute') + '.';
      }
      if (r.status === 403 && /origin-not-allowed$/.test(r.body.type || '')) {
        return 'This site is not allowed to use the police feeds service; please tell the site\'s owner.';
      }
      return r.body.detail || 'Nothing found for ' + text + '.';
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (text) ask(text);
      else input.focus();
    });
    var first = script.getAttribute('data-postcode');
    if (script.hasAttribute('data-from-url')) {
      first = new URLSearchParams(window.location.search).get('postcode') || first;
    }
    if (first) {
      input.value = first;
      ask(first);
    }
    return host;
  }

  if (script.hasAttribute('data-postcode-box')) {
    script.parentNode.insertBefore(widget(), script.nextSibling);
  }
})();
