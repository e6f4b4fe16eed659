//! The colour theme: light, dark or auto (follow the system), kept in localStorage and
//! applied as `data-theme` on <html>, which the CSS custom properties key on.

export type Theme = 'auto' | 'light' | 'dark';
const KEY = 'convos.theme';

function read(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'auto';
  } catch {
    return 'auto';
  }
}

class ThemeStore {
  value = $state<Theme>(read());

  set(t: Theme): void {
    this.value = t;
    try {
      if (t === 'auto') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, t);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    this.apply();
  }

  apply(): void {
    const root = document.documentElement;
    if (this.value === 'auto') delete root.dataset.theme;
    else root.dataset.theme = this.value;
  }
}

export const theme = new ThemeStore();
