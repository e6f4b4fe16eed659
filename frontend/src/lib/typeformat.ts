//! Typing IRC formatting: Ctrl+B/I/U wrap the selection (or start a run at the cursor) in
//! the control codes other IRC clients use, and the colour picker inserts `\x03NN`.
//! Pure functions over the text and selection; the input applies the result.

export const BOLD = '\x02';
export const ITALIC = '\x1d';
export const UNDERLINE = '\x1f';
export const COLOR = '\x03';
export const RESET = '\x0f';

/** The code for Ctrl+`key`, or null. */
export function codeForKey(key: string): string | null {
  switch (key.toLowerCase()) {
    case 'b':
      return BOLD;
    case 'i':
      return ITALIC;
    case 'u':
      return UNDERLINE;
    default:
      return null;
  }
}

/** Wraps `start..end` in `open` … `close`; without a selection, inserts `open` at the cursor. */
export function wrap(
  text: string,
  start: number,
  end: number,
  open: string,
  close = open,
): { text: string; start: number; end: number } {
  const a = Math.max(0, Math.min(start, end, text.length));
  const b = Math.min(text.length, Math.max(start, end));
  if (a === b) {
    const t = text.slice(0, a) + open + text.slice(a);
    return { text: t, start: a + open.length, end: a + open.length };
  }
  const t = text.slice(0, a) + open + text.slice(a, b) + close + text.slice(b);
  return { text: t, start: a + open.length, end: b + open.length };
}

/** `\x03NN` for palette colour `n` (0–15), two digits so a following digit is not eaten. */
export function colorCode(n: number): string {
  return COLOR + String(Math.max(0, Math.min(98, Math.round(n)))).padStart(2, '0');
}

/** The 16 standard mIRC colours, by name, for the picker. */
export const COLOR_NAMES: readonly string[] = [
  'White',
  'Black',
  'Blue',
  'Green',
  'Red',
  'Brown',
  'Magenta',
  'Orange',
  'Yellow',
  'Light green',
  'Cyan',
  'Light cyan',
  'Light blue',
  'Pink',
  'Grey',
  'Light grey',
];
