//! Choices kept in this browser (localStorage): what it tells others about the user.

const TYPING = 'convos.typing';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

class Prefs {
  /** Send typing notifications (on unless turned off). */
  sendTyping = $state(read(TYPING) !== 'off');

  setSendTyping(on: boolean): void {
    this.sendTyping = on;
    write(TYPING, on ? null : 'off');
  }
}

export const prefs = new Prefs();
