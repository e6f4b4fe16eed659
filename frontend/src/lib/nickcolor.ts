//! Deterministic nick colours: a hash picks the hue, and the lightness is searched per
//! theme so that the colour keeps WCAG AA contrast (4.5:1) against that theme's backgrounds.

/** Backgrounds a nick may appear on, per theme (plain rows and highlighted rows). */
export const BACKGROUNDS = {
  light: ['#ffffff', '#f6f7f9', '#fff4d6'],
  dark: ['#16191d', '#1d2126', '#3a3220'],
} as const;

/** FNV-1a over the lowercased nick: stable across sessions and browsers. */
export function nickHash(nick: string): number {
  let h = 0x811c9dc5;
  for (const ch of nick.toLowerCase()) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

function channel(c: number): number {
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

/** WCAG contrast ratio of two sRGB colours (components 0–1). */
export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const SAT = 0.62;
const cache = new Map<string, { light: string; dark: string }>();

function lightness(hue: number, theme: 'light' | 'dark'): number {
  const bgs = BACKGROUNDS[theme].map(hexToRgb);
  const ok = (l: number) => bgs.every((bg) => contrast(hslToRgb(hue, SAT, l), bg) >= 4.6);
  if (theme === 'light') {
    for (let l = 0.42; l > 0.05; l -= 0.01) if (ok(l)) return l;
    return 0.2;
  }
  for (let l = 0.62; l < 0.95; l += 0.01) if (ok(l)) return l;
  return 0.85;
}

/** The nick's colour in both themes, as CSS `hsl()` strings. */
export function nickColors(nick: string): { light: string; dark: string } {
  const key = nick.toLowerCase();
  const hit = cache.get(key);
  if (hit) return hit;
  const hue = nickHash(key) % 360;
  const fmt = (l: number) => `hsl(${hue} ${SAT * 100}% ${Math.round(l * 1000) / 10}%)`;
  const c = { light: fmt(lightness(hue, 'light')), dark: fmt(lightness(hue, 'dark')) };
  cache.set(key, c);
  return c;
}

/** Inline style setting `--nl`/`--nd`, which the theme CSS picks from. */
export function nickStyle(nick: string): string {
  const c = nickColors(nick);
  return `--nl:${c.light};--nd:${c.dark}`;
}

/** Exposed for tests: the rgb of an `hsl(h s% l%)` string made by `nickColors`. */
export function parseHsl(css: string): [number, number, number] {
  const m = /hsl\((\d+) ([\d.]+)% ([\d.]+)%\)/.exec(css);
  if (!m) throw new Error(css);
  return hslToRgb(Number(m[1]), Number(m[2]) / 100, Number(m[3]) / 100);
}
