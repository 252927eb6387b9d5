// feedmap's public question (/question): where a resident lives (a
// postcode, or the browser's location), what they call the place, whether
// they would follow a local police feed about it, on which platforms, and
// the force's own questions. Plain script, no build step, no request to any
// host but this one. The server keeps counts per small area only: see the
// "What is stored" paragraph it sends (GET /v1/question).
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var form = $('question-form');
  var result = $('result');
  var postcode = $('postcode');
  var nameInput = $('name');
  var point = null; // { lon, lat } from "Use my location", rounded
  var sending = false;
  var question = null;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function say(nodes, focus) {
    result.textContent = '';
    nodes.forEach(function (n) { result.appendChild(typeof n === 'string' ? el('p', { text: n }) : n); });
    if (focus) result.focus();
  }

  // ---- the question -------------------------------------------------------

  function choiceGroup(list, type, name, prefix, legend, hint, error, extra) {
    var box = el('fieldset', extra || {});
    box.appendChild(el('legend', {}, [legend, ' ', el('span', { class: 'hint-inline', text: hint })]));
    list.forEach(function (c, j) {
      var id = prefix + '-' + j;
      box.appendChild(el('div', { class: 'choice' }, [
        el('input', { type: type, id: id, name: name, value: c.id }),
        el('label', { for: id, text: c.label }),
      ]));
    });
    box.appendChild(el('p', { id: error, class: 'error-text', hidden: '' }));
    return box;
  }

  function build(q) {
    question = q;
    if (q.region) {
      $('region').textContent = q.region;
      document.title = 'Where is your community? – ' + q.region;
    }
    $('intro').textContent = q.intro || '';
    if (q.max_name_chars) nameInput.setAttribute('maxlength', String(q.max_name_chars));
    $('name-hint').textContent = 'Optional. The name of a place, as you would say it to a neighbour, in at most ' +
      (q.max_name_chars || 40) + ' characters (not an address, a telephone number or anyone\'s name).';
    var platforms = q.platforms || [];
    var list = $('platforms-list');
    platforms.forEach(function (p, j) {
      var id = 'platform-' + j;
      list.appendChild(el('div', { class: 'choice' }, [
        el('input', { type: 'checkbox', id: id, name: 'platforms', value: p.id }),
        el('label', { for: id, text: p.label }),
      ]));
    });
    $('platforms-group').hidden = platforms.length === 0;
    var extra = $('extra');
    (q.questions || []).forEach(function (x, i) {
      extra.appendChild(choiceGroup(x.choices || [], x.multiple ? 'checkbox' : 'radio', 'choice-' + i, 'q' + i,
        x.text, x.multiple ? '(optional; choose any)' : '(optional; choose one)', 'q' + i + '-error',
        { id: 'q' + i + '-group', class: 'extra', 'data-question': x.id }));
    });
    $('stored').textContent = q.stored || 'Only counts per small area are kept: no postcode, location, address, IP address or text you type.';
    $('loading').hidden = true;
    form.hidden = false;
  }

  // ---- errors, next to their field ----------------------------------------

  // A field of the answer as the server names it (`postcode`, `name`,
  // `follow`, `platforms`, `choices.ID`…): its inputs and error line.
  function target(field) {
    var f = String(field || '');
    if (/^(postcode|lon|lat|point|where|location)/.test(f)) return { inputs: [postcode], error: 'postcode-error' };
    if (/^name/.test(f)) return { inputs: [nameInput], error: 'name-error' };
    if (/^follow/.test(f)) return { inputs: [].slice.call(form.querySelectorAll('input[name=follow]')), error: 'follow-error' };
    if (/^platform/.test(f)) return { inputs: [].slice.call(form.querySelectorAll('input[name=platforms]')), error: 'platforms-error' };
    if (/^choice/.test(f)) {
      var groups = [].slice.call(form.querySelectorAll('fieldset.extra'));
      var g = groups.filter(function (x) { return f.indexOf(x.getAttribute('data-question')) >= 0; })[0] || groups[0];
      if (g) return { inputs: [].slice.call(g.querySelectorAll('input')), error: g.id.replace('-group', '-error') };
    }
    return null;
  }

  function describe(input, error, on) {
    if (!input.hasAttribute('data-described')) input.setAttribute('data-described', input.getAttribute('aria-describedby') || '');
    var own = input.getAttribute('data-described');
    var ids = on ? (own ? own + ' ' : '') + error : own;
    if (ids) input.setAttribute('aria-describedby', ids);
    else input.removeAttribute('aria-describedby');
  }

  function clearErrors() {
    [].forEach.call(form.querySelectorAll('[aria-invalid]'), function (i) {
      i.removeAttribute('aria-invalid');
      describe(i, '', false);
    });
    [].forEach.call(form.querySelectorAll('.error-text'), function (p) {
      p.textContent = '';
      p.hidden = true;
    });
  }

  // Marks `field` refused with `text`; returns its first input (null when
  // no field of the form matches).
  function mark(field, text) {
    var t = target(field);
    if (!t || !t.inputs.length) return null;
    var p = $(t.error);
    p.textContent = text;
    p.hidden = false;
    t.inputs.forEach(function (i) {
      i.setAttribute('aria-invalid', 'true');
      describe(i, t.error, true);
    });
    return t.inputs[0];
  }

  // ---- where: a postcode or the browser's location ------------------------

  var locate = $('locate');
  var forget = $('forget-location');
  if (!navigator.geolocation) locate.hidden = true;
  locate.addEventListener('click', function () {
    $('locate-status').textContent = 'Finding your location…';
    navigator.geolocation.getCurrentPosition(function (pos) {
      // About 10 m is plenty to find the area; nothing finer is sent.
      point = { lon: Math.round(pos.coords.longitude * 1e4) / 1e4, lat: Math.round(pos.coords.latitude * 1e4) / 1e4 };
      $('locate-status').textContent = 'Your location will be used to find your area (unless you type a postcode). It is not stored.';
      forget.hidden = false;
    }, function () {
      $('locate-status').textContent = 'Your location could not be found; type your postcode instead.';
    }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
  });
  forget.addEventListener('click', function () {
    point = null;
    forget.hidden = true;
    $('locate-status').textContent = 'Location forgotten; type your postcode.';
    locate.focus();
  });

  // ---- sending --------------------------------------------------------------

  function answer() {
    var body = {};
    var pc = postcode.value.trim();
    if (pc) body.postcode = pc;
    else if (point) { body.lon = point.lon; body.lat = point.lat; }
    var name = nameInput.value.trim();
    if (name) body.name = name;
    var follow = form.querySelector('input[name=follow]:checked');
    if (follow) body.follow = follow.value;
    body.platforms = [].map.call(form.querySelectorAll('input[name=platforms]:checked'), function (i) { return i.value; });
    var choices = {};
    [].forEach.call(form.querySelectorAll('fieldset.extra'), function (g) {
      var chosen = [].map.call(g.querySelectorAll('input:checked'), function (i) { return i.value; });
      if (chosen.length) choices[g.getAttribute('data-question')] = chosen;
    });
    body.choices = choices;
    return body;
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (sending) return;
    clearErrors();
    var body = answer();
    // What the form can tell by itself: where, and the one required answer.
    var first = null;
    if (!body.postcode && body.lon === undefined) {
      first = mark('postcode', 'Give your postcode, or use your location.');
    }
    if (!body.follow) {
      first = first || mark('follow', 'Say whether you would follow a local police feed about it: yes, no or not sure.');
    }
    if (first) {
      say(['Your answer was not sent: ' + (body.follow ? 'give your postcode.' : 'see the marked question.')], false);
      first.focus();
      return;
    }
    sending = true;
    form.setAttribute('aria-busy', 'true');
    say(['Sending…'], false);
    fetch('/v1/question/answers', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; });
    }).then(function (r) {
      var b = r.body || {};
      if (r.status === 202 || r.status === 200) {
        form.hidden = true;
        var area = b.area && b.area.name;
        say([
          el('p', { class: 'thanks', text: b.message || 'Thank you: your answer is counted.' }),
          area && (b.message || '').indexOf(area) < 0 ? el('p', {}, ['Your answer counts for ', el('strong', { text: area }), '.']) : null,
        ].filter(Boolean), true);
        return;
      }
      if (r.status === 429) {
        say(['You have answered a few times already; thank you — try again tomorrow if something changed.'], true);
        return;
      }
      var detail = b.detail || b.title || ('The answer was refused (status ' + r.status + ').');
      // The field refused: the problem's `field`, else the detail's
      // "field: …" prefix (which the text next to the field leaves out).
      var prefix = /^([\w.\[\]\/-]+):\s*/.exec(detail);
      var field = b.field || (prefix && prefix[1]);
      var said = prefix && target(prefix[1]) ? detail.slice(prefix[0].length) : detail;
      said = said.charAt(0).toUpperCase() + said.slice(1);
      var input = r.status === 422 ? mark(/^(lon|lat)/.test(field || '') ? field : 'postcode', said)
        : r.status === 400 ? mark(field, said) : null;
      if (input) {
        say(['Your answer was not sent: see the marked question.'], false);
        input.focus();
      } else {
        say(['Your answer was not sent: ' + detail], true);
      }
    }).catch(function () {
      say(['Your answer could not be sent; check your connection and try again.'], true);
    }).then(function () {
      sending = false;
      form.removeAttribute('aria-busy');
    });
  });

  // ---- start ----------------------------------------------------------------

  fetch('/v1/question', { headers: { Accept: 'application/json' } }).then(function (r) {
    if (r.status === 404) {
      $('loading').hidden = true;
      say(['The police force has not opened the question here yet: there is nothing to answer for now.'], false);
      return null;
    }
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }).then(function (q) {
    if (q) build(q);
  }).catch(function () {
    $('loading').hidden = true;
    say(['The question could not be loaded; try again later.'], false);
  });
  window.feedmapQuestion = { get question() { return question; } };
})();
