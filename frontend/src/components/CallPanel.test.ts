import { fireEvent, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ActiveCall, Tile } from '../lib/calls.svelte';
import { calls } from '../lib/calls.svelte';
import CallPanel from './CallPanel.svelte';

const tile = (id: string, nick: string, o: Partial<Tile> = {}): Tile => ({
  id,
  nick,
  state: 'connected',
  problem: '',
  stream: null,
  level: 0,
  hasVideo: false,
  micOff: false,
  camOff: false,
  screen: null,
  quality: 'good',
  qualityText: 'Good connection: 0.0% loss, 20 ms round trip, 900 kbit/s in, 900 kbit/s out',
  ...o,
});

function inCall(o: Partial<ActiveCall> = {}) {
  calls.call = {
    cid: 'irc-x',
    conversation: '#chan',
    name: '#chan',
    phase: 'active',
    mode: 'av',
    error: '',
    local: null,
    micOn: true,
    camOn: true,
    localLevel: 0,
    speaker: 'p2',
    screen: null,
    tiles: [tile('p1', 'alice'), tile('p2', 'bob')],
    log: [],
    ...o,
  };
}

afterEach(() => {
  calls.call = null;
  localStorage.clear();
  vi.restoreAllMocks();
});

describe('CallPanel', () => {
  it('grid by default; speaker view puts the active speaker large, remembered', async () => {
    inCall();
    const { container, getByRole, unmount } = render(CallPanel, { cid: 'irc-x', conversation: '#chan' });
    expect(container.querySelector('.tiles')).not.toBeNull();
    expect(container.querySelector('[data-testid=call-stage]')).toBeNull();
    const toggle = getByRole('button', { name: 'Speaker view' });
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(container.querySelector('[data-testid=call-stage] .main [data-nick=bob]')).not.toBeNull();
    expect(container.querySelectorAll('[data-testid=call-stage] .strip [data-peer-id]').length).toBe(2);
    expect(container.querySelector('[data-nick=bob]')?.getAttribute('data-active')).toBe('true');
    expect(localStorage.getItem('convos.call.layout')).toBe('speaker');
    unmount();
  });

  it('a shared screen takes the large place, whatever the layout', () => {
    inCall({ tiles: [tile('p1', 'alice', { screen: {} as MediaStream }), tile('p2', 'bob')] });
    const { container, unmount } = render(CallPanel, { cid: 'irc-x', conversation: '#chan' });
    const stage = container.querySelector('[data-testid=call-stage]');
    expect(stage?.getAttribute('data-layout')).toBe('screen');
    expect(stage?.querySelector('.main [data-testid=call-screen]')?.getAttribute('aria-label')).toBe("alice's screen");
    unmount();
  });

  it('m, v and s with the focus in the panel; not while typing in a field', async () => {
    inCall();
    const mic = vi.spyOn(calls, 'toggleMic').mockResolvedValue();
    const cam = vi.spyOn(calls, 'toggleCam').mockResolvedValue();
    const share = vi.spyOn(calls, 'toggleShare').mockResolvedValue();
    vi.spyOn(calls, 'canShare', 'get').mockReturnValue(true);
    const { getByRole, getByTestId, unmount } = render(CallPanel, { cid: 'irc-x', conversation: '#chan' });
    const hangup = getByRole('button', { name: 'Hang up' });
    await fireEvent.keyDown(hangup, { key: 'm' });
    await fireEvent.keyDown(hangup, { key: 'v' });
    await fireEvent.keyDown(hangup, { key: 'S' });
    await fireEvent.keyDown(hangup, { key: 'm', ctrlKey: true });
    expect([mic.mock.calls.length, cam.mock.calls.length, share.mock.calls.length]).toEqual([1, 1, 1]);
    await fireEvent.click(getByTestId('call-devices-toggle'));
    // Every control has a name; the tiles say who they are and how the connection is.
    for (const b of getByTestId('call-panel').querySelectorAll('button')) expect(b.textContent?.trim() || b.getAttribute('aria-label')).toBeTruthy();
    expect(getByTestId('call-panel').querySelector('[data-quality=good]')?.getAttribute('aria-label')).toMatch(/^Good connection/);
    unmount();
  });
});
