//! IRC formatting codes → styled spans, mirroring irc-proto's `formatting.rs` exactly
//! (same palette, same edge cases). Spec: https://modern.ircdocs.horse/formatting
//! Produces data only; components turn spans into text nodes (never HTML).

/** A colour: a palette index 0–98, or `#rrggbb` from `\x04`. */
export type Color = number | string;

export interface Style {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strikethrough: boolean;
  monospace: boolean;
  reverse: boolean;
  fg: Color | null;
  bg: Color | null;
}

export interface Span {
  text: string;
  style: Style;
}

/** RGB of palette colours 0–98 (irc-proto's PALETTE). */
export const PALETTE: readonly number[] = [
  0xffffff, 0x000000, 0x00007f, 0x009300, 0xff0000, 0x7f0000, 0x9c009c, 0xfc7f00,
  0xffff00, 0x00fc00, 0x009393, 0x00ffff, 0x0000fc, 0xff00ff, 0x7f7f7f, 0xd2d2d2,
  0x470000, 0x472100, 0x474700, 0x324700, 0x004700, 0x00472c, 0x004747, 0x002747,
  0x000047, 0x2e0047, 0x470047, 0x47002a, 0x740000, 0x743a00, 0x747400, 0x517400,
  0x007400, 0x007449, 0x007474, 0x004074, 0x000074, 0x4b0074, 0x740074, 0x740045,
  0xb50000, 0xb56300, 0xb5b500, 0x7db500, 0x00b500, 0x00b571, 0x00b5b5, 0x0063b5,
  0x0000b5, 0x7500b5, 0xb500b5, 0xb5006b, 0xff0000, 0xff8c00, 0xffff00, 0xb2ff00,
  0x00ff00, 0x00ffa0, 0x00ffff, 0x008cff, 0x0000ff, 0xa500ff, 0xff00ff, 0xff0098,
  0xff5959, 0xffb459, 0xffff71, 0xcfff60, 0x6fff6f, 0x65ffc9, 0x6dffff, 0x59b4ff,
  0x5959ff, 0xc459ff, 0xff66ff, 0xff59bc, 0xff9c9c, 0xffd39c, 0xffff9c, 0xe2ff9c,
  0x9cff9c, 0x9cffdb, 0x9cffff, 0x9cd3ff, 0x9c9cff, 0xdc9cff, 0xff9cff, 0xff94d3,
  0x000000, 0x131313, 0x282828, 0x363636, 0x4d4d4d, 0x656565, 0x818181, 0x9f9f9f,
  0xbcbcbc, 0xe2e2e2, 0xffffff,
];

export const PLAIN: Readonly<Style> = Object.freeze({
  bold: false,
  italic: false,
  underline: false,
  strikethrough: false,
  monospace: false,
  reverse: false,
  fg: null,
  bg: null,
});

/** The colour as CSS `#rrggbb`. */
export function colorHex(c: Color): string {
  if (typeof c === 'string') return c;
  const v = PALETTE[c] ?? 0;
  return '#' + v.toString(16).padStart(6, '0');
}

const CODES = /[\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f]/;

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** Up to two decimal digits at `s[i..]`: [value, digits read]. */
function digits(s: string, i: number): [number, number] {
  let v = 0;
  let n = 0;
  while (n < 2 && isDigit(s[i + n])) {
    v = v * 10 + Number(s[i + n]);
    n++;
  }
  return [v, n];
}

function palette(n: number): Color | null {
  return n < 99 ? n : null;
}

function hex(s: string, i: number): string | null {
  const h = s.slice(i, i + 6);
  return /^[0-9a-fA-F]{6}$/.test(h) ? '#' + h.toLowerCase() : null;
}

/** Applies the code at `s[i]` to `st`; returns how many characters it spans. */
function applyCode(s: string, i: number, st: Style): number {
  switch (s[i]) {
    case '\x02': st.bold = !st.bold; return 1;
    case '\x1d': st.italic = !st.italic; return 1;
    case '\x1f': st.underline = !st.underline; return 1;
    case '\x1e': st.strikethrough = !st.strikethrough; return 1;
    case '\x11': st.monospace = !st.monospace; return 1;
    case '\x16': st.reverse = !st.reverse; return 1;
    case '\x0f': Object.assign(st, PLAIN); return 1;
    case '\x03': {
      const [fg, n] = digits(s, i + 1);
      if (n === 0) {
        st.fg = null;
        st.bg = null;
        return 1;
      }
      st.fg = palette(fg);
      const j = i + 1 + n;
      if (s[j] === ',') {
        const [bg, m] = digits(s, j + 1);
        if (m > 0) {
          st.bg = palette(bg);
          return 1 + n + 1 + m;
        }
      }
      return 1 + n;
    }
    case '\x04': {
      const fg = hex(s, i + 1);
      if (fg === null) {
        st.fg = null;
        st.bg = null;
        return 1;
      }
      st.fg = fg;
      if (s[i + 7] === ',') {
        const bg = hex(s, i + 8);
        if (bg !== null) {
          st.bg = bg;
          return 14;
        }
      }
      return 7;
    }
    default:
      return 0;
  }
}

/** Splits `text` into styled spans with the codes removed; empty runs are left out. */
export function parseFormatting(text: string): Span[] {
  if (!CODES.test(text)) return text ? [{ text, style: PLAIN }] : [];
  const spans: Span[] = [];
  const st: Style = { ...PLAIN };
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (!CODES.test(text[i] ?? '')) {
      i++;
      continue;
    }
    if (start < i) spans.push({ text: text.slice(start, i), style: { ...st } });
    i += applyCode(text, i, st);
    start = i;
  }
  if (start < text.length) spans.push({ text: text.slice(start), style: { ...st } });
  return spans;
}

/** `text` without formatting codes. */
export function stripFormatting(text: string): string {
  return parseFormatting(text)
    .map((s) => s.text)
    .join('');
}

/** Inline CSS for a style, or "" when plain. Colours only come from the palette or a
 * validated hex, so the string is safe to use as a style attribute. */
export function styleCss(st: Style): string {
  let fg = st.fg;
  let bg = st.bg;
  if (st.reverse) [fg, bg] = [bg ?? 'var(--bg)', fg ?? 'var(--fg)'];
  const parts: string[] = [];
  if (fg !== null) parts.push(`color:${typeof fg === 'string' && fg.startsWith('var') ? fg : colorHex(fg)}`);
  if (bg !== null)
    parts.push(`background-color:${typeof bg === 'string' && bg.startsWith('var') ? bg : colorHex(bg)}`);
  return parts.join(';');
}

/** CSS classes for a style. */
export function styleClass(st: Style): string {
  const c: string[] = [];
  if (st.bold) c.push('f-b');
  if (st.italic) c.push('f-i');
  if (st.underline) c.push('f-u');
  if (st.strikethrough) c.push('f-s');
  if (st.monospace) c.push('f-m');
  return c.join(' ');
}
