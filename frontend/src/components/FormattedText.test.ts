import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import FormattedText from './FormattedText.svelte';

describe('FormattedText', () => {
  it('renders markup in messages as text', () => {
    const { container } = render(FormattedText, { text: '<img src=x onerror=alert(1)> \x02<b>hi</b>' });
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror=alert(1)> <b>hi</b>');
    expect(container.querySelector('.f-b')?.textContent).toBe('<b>hi</b>');
  });
  it('links only safe urls, opening in a new tab without opener', () => {
    const { container } = render(FormattedText, { text: 'go https://a.io/x javascript:alert(1) \x0304red\x03' });
    const links = [...container.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://a.io/x']);
    expect(links[0]?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(links[0]?.getAttribute('target')).toBe('_blank');
    expect((container.querySelector('span[style]') as HTMLElement).style.color).toBe('rgb(255, 0, 0)');
  });
});
