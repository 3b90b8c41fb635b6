/**
 * Flat illustrations for the demo catalog, drawn as small self-contained SVG documents so a fresh
 * install has product pictures without downloading anything. Each picture is an 800×800 square with
 * no scripts, no external references and no text; it stays well under 4 KB.
 */

export type DemoImageKind =
  | 'pouch'
  | 'tin'
  | 'cup'
  | 'teabag'
  | 'bowl'
  | 'yokan'
  | 'monaka'
  | 'wasanbon'
  | 'dorayaki'
  | 'teapot'
  | 'chasen';

/** Colours as `#rrggbb`. What each slot paints depends on the kind; `bg` is always the background. */
export interface DemoPalette {
  bg: string;
  main: string;
  dark: string;
  light: string;
  accent: string;
}

export interface DemoImageOptions {
  kind: DemoImageKind;
  palette: DemoPalette;
}

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;
const PALETTE_SLOTS = ['bg', 'main', 'dark', 'light', 'accent'] as const satisfies readonly (keyof DemoPalette)[];

/** FNV-1a, 32 bit: a stable seed from the image key so the same key always draws the same picture. */
function seedOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny deterministic PRNG returning numbers in [0, 1). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A soft halo behind the object plus a few dots near the edges, placed from the key. */
function backdrop(rand: () => number, p: DemoPalette, ground: number): string {
  const r = (lo: number, hi: number): number => Math.round(lo + rand() * (hi - lo));
  let out = `<rect width="800" height="800" fill="${p.bg}"/>`;
  out += `<circle cx="${r(370, 430)}" cy="${r(370, 420)}" r="${r(255, 295)}" fill="${p.light}" opacity=".45"/>`;
  // One dot per corner region keeps them clear of the object in the middle.
  const corners: [number, number][] = [
    [40, 40],
    [620, 40],
    [40, 620],
    [620, 620],
  ];
  for (const [x, y] of corners) {
    out += `<circle cx="${x + r(0, 140)}" cy="${y + r(0, 140)}" r="${r(8, 26)}" fill="${p.accent}" opacity=".35"/>`;
  }
  out += `<ellipse cx="400" cy="${ground}" rx="230" ry="26" fill="#000" opacity=".09"/>`;
  return out;
}

function pouch(p: DemoPalette): string {
  return (
    `<path d="M268 236H532L548 636Q548 650 534 650H266Q252 650 252 636Z" fill="${p.main}"/>` +
    `<rect x="258" y="200" width="284" height="48" rx="8" fill="${p.dark}"/>` +
    `<path d="M276 224H524" stroke="${p.light}" stroke-width="4" stroke-dasharray="10 8" opacity=".6"/>` +
    `<rect x="305" y="330" width="190" height="210" rx="14" fill="${p.light}"/>` +
    `<path d="M400 362C462 392 462 478 400 510C338 478 338 392 400 362Z" fill="${p.accent}"/>` +
    `<path d="M400 382V498M400 430L426 408M400 462L374 440" stroke="${p.main}" stroke-width="6" stroke-linecap="round" fill="none"/>` +
    `<rect x="330" y="568" width="140" height="12" rx="6" fill="${p.light}" opacity=".7"/>`
  );
}

function tin(p: DemoPalette): string {
  return (
    `<rect x="292" y="262" width="216" height="382" rx="16" fill="${p.main}"/>` +
    `<rect x="282" y="222" width="236" height="72" rx="14" fill="${p.dark}"/>` +
    `<rect x="292" y="384" width="216" height="150" fill="${p.light}"/>` +
    `<circle cx="400" cy="459" r="50" fill="${p.accent}"/>` +
    `<circle cx="400" cy="459" r="30" fill="none" stroke="${p.light}" stroke-width="6"/>` +
    `<rect x="312" y="300" width="12" height="320" rx="6" fill="#fff" opacity=".18"/>`
  );
}

function cup(p: DemoPalette): string {
  const steam = [360, 400, 440].map((x, i) => `M${x} ${i === 1 ? 308 : 322}c-22-28 22-46 0-78`).join('');
  return (
    `<ellipse cx="400" cy="614" rx="170" ry="34" fill="${p.dark}" opacity=".85"/>` +
    `<path d="M288 372H512L492 604Q400 642 308 604Z" fill="${p.main}"/>` +
    `<path d="M298 470H502" stroke="${p.light}" stroke-width="16"/>` +
    `<ellipse cx="400" cy="372" rx="112" ry="26" fill="${p.main}"/>` +
    '<ellipse cx="400" cy="372" rx="112" ry="26" fill="#000" opacity=".12"/>' +
    `<ellipse cx="400" cy="377" rx="98" ry="18" fill="${p.accent}"/>` +
    `<path d="${steam}" stroke="${p.dark}" stroke-width="10" stroke-linecap="round" fill="none" opacity=".3"/>`
  );
}

function teabag(p: DemoPalette): string {
  const leaves: [number, number, number][] = [
    [350, 470, 30],
    [420, 440, -20],
    [450, 520, 40],
    [372, 540, -35],
    [410, 580, 10],
  ];
  return (
    `<path d="M400 300C400 240 462 236 472 196" stroke="${p.dark}" stroke-width="4" fill="none"/>` +
    `<rect x="430" y="130" width="90" height="70" rx="8" fill="${p.accent}" transform="rotate(12 475 165)"/>` +
    `<path d="M300 320L400 290L500 320L520 600H280Z" fill="${p.light}" stroke="${p.main}" stroke-width="6" stroke-linejoin="round"/>` +
    `<path d="M296 356H504" stroke="${p.main}" stroke-width="4" stroke-dasharray="8 8"/>` +
    `<g fill="${p.main}" opacity=".6">` +
    leaves.map(([x, y, a]) => `<ellipse cx="${x}" cy="${y}" rx="20" ry="8" transform="rotate(${a} ${x} ${y})"/>`).join('') +
    '</g>'
  );
}

function bowl(p: DemoPalette): string {
  const foam: [number, number, number][] = [
    [350, 418, 7],
    [392, 430, 5],
    [436, 414, 8],
    [470, 428, 5],
    [318, 430, 4],
  ];
  return (
    `<rect x="338" y="610" width="124" height="30" rx="8" fill="${p.dark}"/>` +
    `<path d="M228 420Q236 624 400 628Q564 624 572 420Z" fill="${p.main}"/>` +
    `<path d="M240 500Q400 548 560 500" stroke="${p.light}" stroke-width="12" fill="none" opacity=".5"/>` +
    `<ellipse cx="400" cy="420" rx="172" ry="40" fill="${p.dark}"/>` +
    `<ellipse cx="400" cy="423" rx="156" ry="30" fill="${p.accent}"/>` +
    '<g fill="#fff" opacity=".4">' +
    foam.map(([x, y, r]) => `<circle cx="${x}" cy="${y}" r="${r}"/>`).join('') +
    '</g>'
  );
}

function yokan(p: DemoPalette): string {
  const beans: [number, number][] = [
    [236, 490],
    [290, 540],
    [450, 480],
    [500, 556],
    [262, 572],
    [470, 520],
  ];
  return (
    `<path d="M200 450H540V590H200Z" fill="${p.main}"/>` +
    `<path d="M200 450L270 400H610L540 450Z" fill="${p.accent}"/>` +
    `<path d="M540 450L610 400V540L540 590Z" fill="${p.dark}"/>` +
    `<g fill="${p.dark}" opacity=".55">` +
    beans.map(([x, y]) => `<ellipse cx="${x}" cy="${y}" rx="11" ry="7"/>`).join('') +
    '</g>' +
    `<path d="M330 450H400V590H330Z" fill="${p.light}"/>` +
    `<path d="M330 450L400 400H470L400 450Z" fill="${p.light}" opacity=".85"/>`
  );
}

/** An ume (plum blossom) shaped wafer: five round petals around a centre, with its own shadowed edge. */
function monaka(p: DemoPalette): string {
  const flower = (fill: string, dy: number): string => {
    let s = `<g fill="${fill}"><circle cx="400" cy="${430 + dy}" r="112"/>`;
    for (let k = 0; k < 5; k++) {
      const a = ((k * 72 - 90) * Math.PI) / 180;
      s += `<circle cx="${Math.round(400 + 96 * Math.cos(a))}" cy="${Math.round(430 + dy + 96 * Math.sin(a))}" r="88"/>`;
    }
    return s + '</g>';
  };
  let rays = '';
  for (let k = 0; k < 5; k++) {
    const a = ((k * 72 - 54) * Math.PI) / 180;
    rays += `M${Math.round(400 + 44 * Math.cos(a))} ${Math.round(430 + 44 * Math.sin(a))}L${Math.round(400 + 130 * Math.cos(a))} ${Math.round(430 + 130 * Math.sin(a))}`;
  }
  return (
    flower(p.dark, 24) +
    flower(p.main, 0) +
    `<circle cx="400" cy="430" r="40" fill="none" stroke="${p.dark}" stroke-width="7" opacity=".6"/>` +
    `<path d="${rays}" stroke="${p.dark}" stroke-width="6" stroke-linecap="round" opacity=".45"/>` +
    `<circle cx="400" cy="430" r="12" fill="${p.accent}"/>`
  );
}

/** A lacquer tray of small flower-shaped sugar sweets; round dashes on the outline make the petals. */
function wasanbon(p: DemoPalette): string {
  const colours = [p.light, p.accent, p.bg];
  let pieces = '';
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 3; i++) {
      const c = colours[(i + j) % 3] ?? p.light;
      pieces += `<circle cx="${276 + i * 124}" cy="${336 + j * 104}" r="28" fill="${c}" stroke="${c}"/>`;
    }
  }
  return (
    `<rect x="190" y="250" width="420" height="380" rx="26" fill="${p.dark}"/>` +
    `<rect x="214" y="274" width="372" height="332" rx="16" fill="${p.main}"/>` +
    `<g stroke-width="26" stroke-linecap="round" stroke-dasharray="0 35.19">${pieces}</g>`
  );
}

function dorayaki(p: DemoPalette): string {
  return (
    `<ellipse cx="400" cy="540" rx="196" ry="70" fill="${p.light}"/>` +
    `<ellipse cx="400" cy="508" rx="190" ry="62" fill="${p.accent}"/>` +
    `<ellipse cx="400" cy="478" rx="196" ry="70" fill="${p.light}"/>` +
    `<ellipse cx="400" cy="462" rx="184" ry="60" fill="${p.main}"/>` +
    `<ellipse cx="340" cy="440" rx="70" ry="16" fill="#fff" opacity=".15"/>` +
    `<ellipse cx="400" cy="462" rx="46" ry="17" fill="none" stroke="${p.dark}" stroke-width="7"/>`
  );
}

/** A Japanese side-handle teapot (kyūsu): the handle sits at a right angle to the spout. */
function teapot(p: DemoPalette): string {
  return (
    `<ellipse cx="400" cy="598" rx="112" ry="16" fill="${p.dark}"/>` +
    `<path d="M262 470L150 548" stroke="${p.main}" stroke-width="46" stroke-linecap="round"/>` +
    `<path d="M548 430L664 360Q676 356 680 366L684 380L560 500Z" fill="${p.main}"/>` +
    `<ellipse cx="400" cy="474" rx="172" ry="128" fill="${p.main}"/>` +
    `<path d="M228 474A172 128 0 0 0 572 474Z" fill="${p.dark}" opacity=".18"/>` +
    `<ellipse cx="400" cy="352" rx="100" ry="24" fill="${p.dark}"/>` +
    `<ellipse cx="400" cy="346" rx="86" ry="18" fill="${p.main}"/>` +
    `<circle cx="400" cy="322" r="20" fill="${p.dark}"/>` +
    `<path d="M238 420Q400 372 562 420" stroke="${p.accent}" stroke-width="8" fill="none"/>` +
    `<ellipse cx="318" cy="430" rx="40" ry="20" fill="#fff" opacity=".22" transform="rotate(-24 318 430)"/>`
  );
}

/** A bamboo tea whisk standing on its handle, tines up and curled inwards. */
function chasen(p: DemoPalette): string {
  let tines = '';
  for (let k = -3; k <= 3; k++) {
    tines += `M${400 + k * 6} 436Q${400 + k * 44} 320 ${400 + k * 24} 206`;
  }
  return (
    `<rect x="374" y="428" width="52" height="214" rx="20" fill="${p.main}"/>` +
    `<rect x="374" y="540" width="52" height="10" fill="${p.dark}" opacity=".5"/>` +
    `<path d="M378 440C262 400 250 240 330 200H470C550 240 538 400 422 440Z" fill="${p.light}"/>` +
    `<ellipse cx="400" cy="330" rx="36" ry="92" fill="${p.main}" opacity=".3"/>` +
    `<path d="${tines}" stroke="${p.main}" stroke-width="4" fill="none"/>` +
    `<path d="M362 426Q400 442 438 426" stroke="${p.accent}" stroke-width="7" fill="none" stroke-linecap="round"/>`
  );
}

/** Where each object meets the table, for its shadow. */
const GROUND: Record<DemoImageKind, number> = {
  pouch: 648,
  tin: 642,
  cup: 640,
  teabag: 602,
  bowl: 638,
  yokan: 590,
  monaka: 618,
  wasanbon: 628,
  dorayaki: 606,
  teapot: 608,
  chasen: 640,
};

const SHAPES: Record<DemoImageKind, (p: DemoPalette) => string> = {
  pouch,
  tin,
  cup,
  teabag,
  bowl,
  yokan,
  monaka,
  wasanbon,
  dorayaki,
  teapot,
  chasen,
};

/** One product picture as a complete SVG document (UTF-8 text, no XML declaration needed). */
export function demoImageSvg(key: string, opts: DemoImageOptions): string {
  const p = opts.palette;
  for (const slot of PALETTE_SLOTS) {
    // Colours are interpolated into attributes: accept nothing but plain hex.
    if (!HEX_COLOUR.test(p[slot])) throw new Error(`demo image ${key}: palette.${slot} must be #rrggbb`);
  }
  const draw = SHAPES[opts.kind];
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800">' +
    backdrop(prng(seedOf(key)), p, GROUND[opts.kind]) +
    draw(p) +
    '</svg>\n'
  );
}
