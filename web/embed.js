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
 * /embed page does this), data-question="true" (after the feeds, offer
 * the public question's short form: what residents call the place and
 * whether they would follow; GET /v1/question only once it is opened,
 * POST /v1/question/answers with the postcode or point looked up).
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
    '.attribution{margin:.75rem 0 0;font-size:.8rem}' +
    '.q{display:block;margin-top:.75rem}.q:empty{display:none}.q form{display:block}.q .field{margin:.5rem 0}' +
    '.q label{display:block}.q input[type=text]{width:100%;box-sizing:border-box}' +
    'fieldset{border:1px solid var(--feedmap-border,#6f777b);border-radius:var(--feedmap-radius,6px);margin:.5rem 0;padding:.25rem .75rem .5rem}' +
    'legend{font-weight:600}.opt{display:flex;gap:.4rem;align-items:center;margin:.2rem 0}' +
    '.opt input{flex:none;width:1.1rem;height:1.1rem;margin:0}.opt label{font-weight:400}' +
    '.open{color:var(--feedmap-accent,#005ea5);background:transparent;border-color:var(--feedmap-accent,#005ea5)}' +
    '[aria-invalid=true]{border-color:#b10e1e}.small{font-size:.85rem}.error:empty{display:none}';

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

  // The question's short form (data-question="true"): after an answer with
  // a point, a button opens it; the question is fetched only then, once.
  var asking = null;
  function getQuestion() {
    asking = asking || fetch(base + '/v1/question', { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.json();
    });
    asking.catch(function () { asking = null; });
    return asking;
  }

  function step(box, answer, n) {
    box.textContent = '';
    if (!answer.point || answer.coverage === 'outside') return;
    var id = 'feedmap-s-' + n;
    var open = el('button', { type: 'button', class: 'open', 'aria-expanded': 'false', 'aria-controls': id, text: 'Tell us what you call this place' });
    var panel = el('div', { id: id });
    box.appendChild(open);
    box.appendChild(panel);
    open.addEventListener('click', function () {
      if (open.getAttribute('aria-expanded') === 'true') {
        open.setAttribute('aria-expanded', 'false');
        panel.textContent = '';
        return;
      }
      open.setAttribute('aria-expanded', 'true');
      panel.textContent = 'Loading the question…';
      getQuestion().then(function (q) {
        panel.textContent = '';
        panel.appendChild(questionForm(q, answer, n));
        panel.querySelector('input').focus();
      }, function (status) {
        panel.textContent = '';
        panel.appendChild(el('p', { class: 'error', text: status === 404 ? 'The police force has not opened the question here.' : 'The question could not be loaded; try again.' }));
      });
    });
  }

  function questionForm(q, answer, n) {
    var p = 'feedmap-' + n + '-';
    var name = el('input', { id: p + 'name', type: 'text', autocomplete: 'off', maxlength: String(q.max_name_chars || 40), 'aria-describedby': p + 'nerr' });
    var nerr = el('p', { id: p + 'nerr', class: 'error small' });
    var ferr = el('p', { id: p + 'ferr', class: 'error small' });
    function opt(type, group, value, label, i) {
      var oid = p + group + i;
      return el('div', { class: 'opt' }, [el('input', { type: type, id: oid, name: group, value: value }), el('label', { for: oid, text: label })]);
    }
    var follows = el('fieldset', { 'aria-describedby': p + 'ferr' }, [
      el('legend', { text: 'Would you follow a local police feed about it? (required)' }),
      opt('radio', 'follow', 'yes', 'Yes', 0), opt('radio', 'follow', 'no', 'No', 1), opt('radio', 'follow', 'not_sure', 'Not sure', 2),
      ferr,
    ]);
    var perr = el('p', { id: p + 'perr', class: 'error small' });
    var platforms = (q.platforms || []).length ? el('fieldset', { 'aria-describedby': p + 'perr' }, [el('legend', { text: 'On which platforms? (choose any)' })]
      .concat(q.platforms.map(function (x, i) { return opt('checkbox', 'platform', x.id, x.label, i); }), [perr])) : null;
    var status = el('div', { role: 'status', 'aria-live': 'polite', class: 'small' });
    var form = el('form', { 'aria-label': 'What residents call this place', novalidate: '' }, [
      el('div', { class: 'field' }, [el('label', { for: p + 'name', text: 'What do you call the place where you live? (optional)' }), name, nerr]),
      follows,
      platforms,
      el('p', { class: 'muted small', text: q.stored || '' }),
      el('button', { type: 'submit', text: 'Send' }),
      status,
    ]);
    function mark(field, text) {
      var group = /^follow/.test(field) ? follows : /^platform/.test(field) ? platforms : /^name/.test(field) ? null : false;
      if (group === false) return null;
      var inputs = group ? [].slice.call(group.querySelectorAll('input')) : [name];
      (group === follows ? ferr : group ? perr : nerr).textContent = text;
      inputs.forEach(function (i) { i.setAttribute('aria-invalid', 'true'); });
      return inputs[0];
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      [].forEach.call(form.querySelectorAll('[aria-invalid]'), function (i) { i.removeAttribute('aria-invalid'); });
      nerr.textContent = ferr.textContent = perr.textContent = '';
      var follow = form.querySelector('input[name=follow]:checked');
      if (!follow) {
        mark('follow', 'Choose yes, no or not sure.').focus();
        return;
      }
      var body = answer.postcode ? { postcode: answer.postcode.postcode } : { lon: answer.point.lon, lat: answer.point.lat };
      if (name.value.trim()) body.name = name.value.trim();
      body.follow = follow.value;
      body.platforms = [].map.call(form.querySelectorAll('input[name=platform]:checked'), function (i) { return i.value; });
      status.textContent = 'Sending…';
      fetch(base + '/v1/question/answers', {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body),
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; });
      }).then(function (r) {
        var b = r.body;
        if (r.status === 202) {
          var done = el('p', { tabindex: '-1', class: 'thanks' }, [b.message || 'Thank you.', b.area && (b.message || '').indexOf(b.area.name) < 0 ? ' (' + b.area.name + ')' : '']);
          form.parentNode.replaceChild(done, form);
          done.focus();
          return;
        }
        var field = b.field || (/^(\w+)[.:[]/.exec(b.detail || '') || [])[1] || '';
        var text = r.status === 429 ? 'You have answered a few times already; thank you — try again tomorrow if something changed.'
          : (b.detail || 'Not sent; try again.').replace(/^\w+: /, '');
        var input = r.status === 400 ? mark(field, text) : null;
        status.textContent = input ? 'Not sent: see the marked question.' : text;
        if (input) input.focus();
      }, function () {
        status.textContent = 'Not sent; check the connection and try again.';
      });
    });
    return form;
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
    var questionBox = script.getAttribute('data-question') === 'true' ? el('div', { class: 'q' }) : null;
    root.appendChild(el('style', { text: CSS }));
    root.appendChild(form);
    root.appendChild(out);
    if (questionBox) root.appendChild(questionBox);
    root.appendChild(attribution);

    var asked = 0;
    function ask(text) {
      var mine = ++asked;
      out.textContent = 'Looking up ' + text + '…';
      if (questionBox) questionBox.textContent = '';
      host.setAttribute('aria-busy', 'true');
      fetch(base + '/v1/feeds/lookup?q=' + encodeURIComponent(text), { headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.json()
            .catch(function () { return {}; })
            .then(function (body) { return { ok: r.ok, status: r.status, wait: r.headers.get('Retry-After'), body: body }; });
        })
        .then(function (r) {
          if (mine !== asked) return;
          if (r.ok) {
            render(r.body, out, attribution);
            if (questionBox) step(questionBox, r.body, count);
          } else {
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
