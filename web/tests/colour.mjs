// How far apart colours stay for people with a colour-vision deficiency:
// each colour is laid over the map's background at its opacity, then seen
// as with protanopia, deuteranopia and tritanopia (Machado, Oliveira &
// Fernandes 2009, severity 1, in linear sRGB), and pairs are compared by
// CIEDE2000 (ΔE00: about 2 is just noticeable; 10 and more reads as a
// different colour at a glance). Used by the map's browser test.

const MACHADO = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
const toLinear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

function lab(rgbLinear) {
  const [r, g, b] = rgbLinear.map((c) => Math.min(1, Math.max(0, c)));
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

// CIEDE2000 colour difference between two CIELAB colours.
export function deltaE00([l1, a1, b1], [l2, a2, b2]) {
  const rad = Math.PI / 180;
  const c1 = Math.hypot(a1, b1);
  const c2 = Math.hypot(a2, b2);
  const cm = (c1 + c2) / 2;
  const g = 0.5 * (1 - Math.sqrt(cm ** 7 / (cm ** 7 + 25 ** 7)));
  const ap1 = (1 + g) * a1;
  const ap2 = (1 + g) * a2;
  const cp1 = Math.hypot(ap1, b1);
  const cp2 = Math.hypot(ap2, b2);
  const hue = (b, a) => { const h = Math.atan2(b, a) / rad; return h < 0 ? h + 360 : h; };
  const hp1 = cp1 === 0 ? 0 : hue(b1, ap1);
  const hp2 = cp2 === 0 ? 0 : hue(b2, ap2);
  const dl = l2 - l1;
  const dc = cp2 - cp1;
  let dh = 0;
  if (cp1 * cp2 !== 0) {
    dh = hp2 - hp1;
    if (dh > 180) dh -= 360;
    else if (dh < -180) dh += 360;
  }
  const dH = 2 * Math.sqrt(cp1 * cp2) * Math.sin((dh / 2) * rad);
  const lm = (l1 + l2) / 2;
  const cpm = (cp1 + cp2) / 2;
  let hm = hp1 + hp2;
  if (cp1 * cp2 !== 0) {
    if (Math.abs(hp1 - hp2) > 180) hm = hm < 360 ? hm + 360 : hm - 360;
    hm /= 2;
  }
  const t = 1 - 0.17 * Math.cos((hm - 30) * rad) + 0.24 * Math.cos(2 * hm * rad)
    + 0.32 * Math.cos((3 * hm + 6) * rad) - 0.2 * Math.cos((4 * hm - 63) * rad);
  const dTheta = 30 * Math.exp(-(((hm - 275) / 25) ** 2));
  const rc = 2 * Math.sqrt(cpm ** 7 / (cpm ** 7 + 25 ** 7));
  const sl = 1 + (0.015 * (lm - 50) ** 2) / Math.sqrt(20 + (lm - 50) ** 2);
  const sc = 1 + 0.045 * cpm;
  const sh = 1 + 0.015 * cpm * t;
  const rt = -Math.sin(2 * dTheta * rad) * rc;
  return Math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dH / sh) ** 2 + rt * (dc / sc) * (dH / sh));
}

// `classes`: { name: { colour: '#rrggbb', opacity } }. Returns, for normal
// vision and each deficiency, the closest pair and its ΔE00.
export function closestPairs(classes, background) {
  const bg = hex(background).map(toLinear);
  const seen = Object.fromEntries(Object.entries(classes).map(([name, c]) => {
    const fg = hex(c.colour).map(toLinear);
    // Blending happens in sRGB in the browser; near enough in linear here.
    const over = fg.map((v, i) => c.opacity * v + (1 - c.opacity) * bg[i]);
    return [name, over];
  }));
  const out = {};
  for (const [vision, m] of Object.entries(MACHADO)) {
    const labs = Object.fromEntries(Object.entries(seen).map(([n, rgb]) => [n, lab(m.map((row) => row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]))]));
    let best = null;
    const names = Object.keys(labs);
    for (const [i, a] of names.entries()) {
      for (const b of names.slice(i + 1)) {
        const d = deltaE00(labs[a], labs[b]);
        if (!best || d < best.deltaE) best = { pair: [a, b], deltaE: d };
      }
    }
    out[vision] = best;
  }
  return out;
}
