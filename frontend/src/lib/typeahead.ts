//! Typing is never lost: a printable key pressed while focus is on the page (not in a
//! field) belongs in the message input. Also whether focusing that input is welcome.

/** The parts of a `KeyboardEvent` the decision needs. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  isComposing?: boolean;
  defaultPrevented?: boolean;
  /** AltGr (Ctrl+Alt on Windows) types characters such as `@` on many layouts. */
  altGraph?: boolean;
}

/** True when `el` takes text itself: an input, textarea, select or contenteditable. */
export function isTextTarget(el: Element | null): boolean {
  if (!el) return false;
  if (el.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])')) return true;
  return (el as HTMLElement).isContentEditable === true;
}

/** True when the key types one character and should go to the message input. */
export function shouldTypeIntoInput(e: KeyLike, target: Element | null): boolean {
  if (e.defaultPrevented || e.isComposing) return false;
  if ((e.ctrlKey || e.altKey) && !e.altGraph) return false;
  if (e.metaKey) return false;
  // One character (an emoji is one code point but two UTF-16 units): not "Enter", "F5"…
  if ([...e.key].length !== 1) return false;
  if (isTextTarget(target)) return false;
  // A modal (quick switcher, dialogs) keeps its keys.
  if (target?.closest('dialog')) return false;
  // Space presses a focused button or link; it only goes to the input from the page itself.
  if (e.key === ' ' && target && target !== target.ownerDocument.body && target.closest('a, button, summary, [role], [tabindex]')) {
    return false;
  }
  return true;
}

/** True on phones and tablets without a mouse, where focusing the input opens the keyboard. */
export function touchOnly(media: (q: string) => boolean = defaultMedia): boolean {
  return media('(pointer: coarse)') && !media('(any-pointer: fine)');
}

function defaultMedia(q: string): boolean {
  return typeof matchMedia === 'function' && matchMedia(q).matches;
}
