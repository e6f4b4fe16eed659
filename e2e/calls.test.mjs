// Video calls end to end (issue 8): real Chromium (fake camera/microphone), the real
// daemon, a real InspIRCd and coturn. Signalling goes browser → daemon → RTCZ NOTICEs over
// IRC → daemon → browser; media goes browser ⇄ browser (or through coturn). Each side's
// `getStats()` (via `window.__convosCalls`) proves video and audio arrive from everyone.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_DIR, apiFor, axeViolations, freePort, launchBrowser, newPage, requireTools, say, startDaemon, startIrcd, stopAll, until } from './lib/harness.mjs';
import { assertMediaFrom, audioEnergyFrom, callStats, haveTurnserver, startTurn, stopTurns, users, waitPeers } from './lib/calls-harness.mjs';
import { Convos408 } from './lib/convos408.mjs';

let skip = requireTools();
if (!skip && !haveTurnserver()) {
  if (process.env.CI === 'true') throw new Error('missing: turnserver (apt-get install coturn)');
  skip = 'missing: turnserver (apt-get install coturn)';
  console.error(`\n*** SKIPPED: ${skip} ***\n`);
}

const CHANNEL = '#call';
const callButton = (page) => page.locator('[data-testid=call-button]');
const panel = (page) => page.locator('[data-testid=call-panel]');

/** In the pre-join preview (camera and microphone open, nothing sent): presses Join now and
 *  waits until the call is active. */
async function joinFromPreview(page) {
  await page.locator('[data-testid=call-preview]').waitFor({ timeout: 15_000 });
  await page.locator('[data-testid=call-join-now]').click();
  await panel(page).and(page.locator('[data-phase=active]')).waitFor({ timeout: 15_000 });
}

/** Presses the camera button and waits until the call is active (media open, `call` sent). */
async function startCall(page) {
  await callButton(page).click();
  await joinFromPreview(page);
}

/** `a` calls, `b` joins; both receive each other's media through a relay candidate; then
 *  both hang up and close their pages. */
async function relayedCall(a, aNick, b, bNick) {
  await startCall(a);
  await joinRinging(b, aNick);
  await Promise.all([waitPeers(a, [bNick]), waitPeers(b, [aNick])]);
  const s1 = await assertMediaFrom(a, [bNick], assert);
  const s2 = await assertMediaFrom(b, [aNick], assert);
  for (const s of [...s1, ...s2]) {
    assert.equal(s.local, 'relay', `${s.nick}: local candidate is relay`);
  }
  await hangup(a);
  await hangup(b);
  await a.context().close();
  await b.context().close();
}

/** Waits for "x is calling" in the open conversation and presses Join. */
async function joinRinging(page, caller) {
  const ring = page.locator('[data-testid=call-ringing]');
  try {
    await ring.filter({ hasText: caller }).waitFor({ timeout: 20_000 });
  } catch (e) {
    const rooms = await page.evaluate(() => JSON.stringify(window.__convosCalls.rooms));
    const text = await page.locator('.chat').innerText();
    throw new Error(`${page.nick}: no "${caller} is calling" (rooms ${rooms}; page: ${text.slice(0, 300)})`, { cause: e });
  }
  await ring.getByRole('button', { name: 'Join', exact: true }).click();
  await joinFromPreview(page);
}

async function hangup(page) {
  await page.locator('[data-testid=call-hangup]').click();
  await panel(page).waitFor({ state: 'detached', timeout: 10_000 });
}

/** A Convos 4.08 user, scripted over the same InspIRCd (lib/convos408.mjs). */
let olga;

/** Olga's 4.08 page decodes video (frames rising, in the picture too) and audio from
 *  each of `nicks`; returns her second sample of each. */
async function assertOlgaGets(nicks) {
  const a = await olga.stats();
  await sleep(2000);
  const b = await olga.stats();
  return nicks.map((nick) => {
    const [x, y] = [a, b].map((s) => s.find((e) => e.nick === nick));
    assert.ok(x && y, `olga has a peer connection to ${nick}`);
    const frames = (e) => e.video.reduce((n, v) => n + v.frames, 0);
    assert.ok(frames(y) > frames(x), `olga decodes video from ${nick}: ${JSON.stringify([x.video, y.video])}`);
    assert.ok(y.shown.frames > x.shown.frames && y.shown.width > 0, `olga's picture of ${nick} plays: ${JSON.stringify([x.shown, y.shown])}`);
    assert.ok(y.audio && y.audio.bytes > (x.audio?.bytes ?? 0), `olga receives audio from ${nick}`);
    return y;
  });
}

async function openConversation(page, name) {
  await page.locator('.sidebar a.conv', { hasText: name.replace(/^#/, '') }).first().click();
  await page.locator('.chat h1', { hasText: name }).waitFor();
}

describe('calls', { skip: skip ?? false, timeout: 600_000 }, () => {
  let ircd, turn, daemon, daemon2, browser;
  let alice, bob, carol, dave;

  before(async () => {
    [ircd, turn, browser] = await Promise.all([
      startIrcd(),
      startTurn(),
      launchBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] }),
    ]);
    const stun = { CONVOS_STUN: `stun://127.0.0.1:${turn.port}` };
    [daemon, daemon2] = await Promise.all([startDaemon({ env: stun }), startDaemon({ env: stun, name: 'convos2' })]);
    [alice, bob, carol] = await users(browser, daemon, ircd.port, CHANNEL, ['alice', 'bob', 'carol']);
    [dave] = await users(browser, daemon2, ircd.port, CHANNEL, ['dave']);
    olga = await Convos408.connect(browser, ircd.port, 'olga', CHANNEL, [{ urls: `stun:127.0.0.1:${turn.port}` }]);
  });

  after(async () => {
    if (process.env.E2E_DEBUG) console.log(daemon?.logs().slice(-5000));
    await stopAll();
    await stopTurns();
  });

  test('without ICE servers there is no camera button, and the settings say why', async () => {
    // The daemons above have CONVOS_STUN; the rtc object reaches the page.
    const rtc = await alice.evaluate(() => window.__convosCalls.rtc);
    assert.deepEqual(rtc.ice_servers, [{ urls: `stun:127.0.0.1:${turn.port}` }]);
    await callButton(alice).waitFor();
    // A daemon without CONVOS_STUN/TURN: no button, and the note on the connection page.
    const plain = await startDaemon({ name: 'convos-plain' });
    const [erin] = await users(browser, plain, ircd.port, '#nocall', ['erin']);
    await erin.locator('.chat h1', { hasText: '#nocall' }).waitFor();
    assert.equal(await callButton(erin).count(), 0);
    await erin.locator('a[title="Connection settings"]').first().click();
    await erin.locator('[data-testid=call-availability]', { hasText: 'Video calls are unavailable' }).waitFor();
    assert.match(await erin.locator('[data-testid=call-availability]').innerText(), /CONVOS_STUN/);
    await erin.context().close();
    await plain.stop();
  });

  test('two users on one daemon call each other in a channel', async () => {
    const t0 = Date.now();
    // The pre-join preview: own picture, a moving microphone level, the device pickers.
    await callButton(alice).click();
    await alice.locator('[data-testid=call-preview]').waitFor({ timeout: 15_000 });
    await until(async () => Number(await alice.locator('[data-testid=mic-level]').getAttribute('value')) > 0, {
      ms: 10_000,
      what: 'microphone level moving in the preview',
    });
    const mics = await alice.locator('[data-testid=device-audioinput] option').allInnerTexts();
    assert.ok(mics.includes('Fake Audio Input 1'), `microphones listed: ${mics}`);
    const outs = await alice.locator('[data-testid=device-audiooutput] option').allInnerTexts();
    assert.ok(outs.includes('Fake Audio Output 1'), `speakers listed: ${outs}`);
    await alice.screenshot({ path: path.join(REPO_DIR, 'docs', 'screenshot-call-devices.png') });
    await joinFromPreview(alice);
    // Bob: a line in the conversation and a ringing indicator in the sidebar.
    await bob.locator('[data-testid=call-ringing-indicator]').waitFor({ timeout: 20_000 });
    await joinRinging(bob, 'alice');
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    console.log(`# 2-party call connected in ${Date.now() - t0} ms`);
    // The call log in the conversation, stored like other state lines.
    for (const p of [alice, bob]) await p.locator('.system.call', { hasText: 'alice started a call.' }).waitFor({ timeout: 10_000 });
    await assertMediaFrom(alice, ['bob'], assert);
    await assertMediaFrom(bob, ['alice'], assert);
    // Few IRC lines: one offer and one answer per pair, no trickled ICE.
    // Alice was in the call and offers to the newcomer; bob answers.
    const [sa] = await callStats(alice);
    assert.deepEqual(sa.sent, { offers: 1, answers: 0, ice: 0 });
    const [sb] = await callStats(bob);
    assert.deepEqual(sb.sent, { offers: 0, answers: 1, ice: 0 });
    // Carol and dave were rung too (not in the call).
    await carol.locator('[data-testid=call-ringing]', { hasText: 'is calling' }).waitFor();
    // Accessible in a call and while ringing (axe-core, as a11y.test.mjs does for pages).
    for (const [page, what] of [[alice, 'in a call'], [carol, 'ringing']]) {
      const v = await axeViolations(page);
      assert.deepEqual(v, [], `${what}: ${v.join('\n')}`);
    }
  });

  test('a third participant joins: full mesh, everyone receives everyone', async () => {
    const t0 = Date.now();
    await joinRinging(carol, 'alice');
    await Promise.all([waitPeers(alice, ['bob', 'carol']), waitPeers(bob, ['alice', 'carol']), waitPeers(carol, ['alice', 'bob'])]);
    console.log(`# 3rd participant connected in ${Date.now() - t0} ms`);
    await assertMediaFrom(alice, ['bob', 'carol'], assert);
    await assertMediaFrom(bob, ['alice', 'carol'], assert);
    await assertMediaFrom(carol, ['alice', 'bob'], assert);
    // Tiles: one per remote participant plus the self view, keyed by peer id.
    assert.equal(await carol.locator('[data-testid=call-panel] [data-peer-id]').count(), 3);
    const ids = await carol.locator('[data-testid=call-panel] [data-peer-id]').evaluateAll((els) => els.map((e) => e.dataset.peerId));
    assert.equal(new Set(ids).size, 3);
    await sleep(1500); // let the speaking indicators and video settle
    const shot = path.join(REPO_DIR, 'docs', 'screenshot-call.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await carol.screenshot({ path: shot });
  });

  test('a Convos 4.08 user joins over IRC: 4-way mesh, everyone receives everyone', async () => {
    const t0 = Date.now();
    // Olga's client sends CALL; the three in the call offer to her, she answers with
    // 4.08's lossy SDPs and trickles her candidates, one NOTICE each.
    await olga.join();
    const all = { alice, bob, carol };
    const others = (n) => [...Object.keys(all).filter((x) => x !== n), 'olga'];
    await Promise.all(Object.entries(all).map(([n, p]) => waitPeers(p, others(n), 90_000)));
    await until(async () => (await olga.stats()).filter((e) => e.state === 'connected').length === 3, { ms: 30_000, what: 'olga connected to alice, bob and carol' });
    console.log(`# 4.08 participant connected in ${Date.now() - t0} ms`);
    for (const [n, p] of Object.entries(all)) await assertMediaFrom(p, others(n), assert);
    await assertOlgaGets(['alice', 'bob', 'carol']);
    // Only offers reached her, one from each, and her own answers were plain (no mark).
    assert.deepEqual(olga.received.filter((r) => r.kind === 'OFR').map((r) => r.from).sort(), ['alice', 'bob', 'carol']);
    assert.deepEqual((await alice.evaluate(() => window.__convosCalls.peerList().map((p) => [p.nick, p.modern]))).sort(), [['bob', true], ['carol', true], ['olga', false]]);
    // Sender adaptation: three copies of the camera fit a 2 Mbit/s uplink (500 kbit/s each),
    // audio first; and a connection indicator on every tile, from getStats.
    await until(
      async () =>
        (
          await alice.evaluate(() =>
            window.__convosCalls.peerList().map((p) =>
              p.pc.getSenders().map((s) => `${s.track?.kind}:${s.getParameters().encodings[0]?.maxBitrate ?? '-'}:${s.getParameters().encodings[0]?.priority}`),
            ),
          )
        ).every((l) => l.includes('video:500000:low') && l.includes('audio:-:high')),
      { ms: 10_000, what: "alice's camera limited to 500 kbit/s per copy, audio at high priority" },
    );
    await until(async () => (await alice.locator('.tile [data-quality=good], .tile [data-quality=fair]').count()) === 3, {
      ms: 10_000,
      what: 'a connection indicator on every remote tile',
    });
    assert.match(await alice.locator('.tile [data-quality]').first().getAttribute('title'), /connection: .*ms round trip/);
  });

  test('on a phone the call fills the screen, with the chat one tap away', async () => {
    await carol.setViewportSize({ width: 390, height: 800 });
    const box = await panel(carol).boundingBox();
    assert.ok(box && box.width >= 389 && box.height >= 799, `full screen call panel: ${JSON.stringify(box)}`);
    await carol.screenshot({ path: path.join(REPO_DIR, 'e2e', 'screenshots', 'call-phone.png') }).catch(() => {});
    await panel(carol).getByRole('button', { name: 'Chat' }).click();
    await carol.getByRole('button', { name: 'Show call' }).waitFor();
    await carol.locator('#chat-input').waitFor();
    await carol.getByRole('button', { name: 'Show call' }).click();
    await panel(carol).getByRole('button', { name: 'Chat' }).waitFor();
    await carol.setViewportSize({ width: 1280, height: 800 });
  });

  test('mute and camera off: the others hear nothing, and their tiles show muted and an avatar', async () => {
    const before = await audioEnergyFrom(bob, 'alice');
    assert.ok(before > 0, 'audio energy from alice before mute');
    await alice.locator('[data-testid=call-mute]').click();
    assert.equal(await alice.evaluate(() => window.__convosCalls.call.local.getAudioTracks()[0].enabled), false);
    // (Under load, audio already in the receiver's jitter buffer may still play for a moment.)
    let muted;
    await until(async () => (muted = await audioEnergyFrom(bob, 'alice', 1500)) < before / 200, {
      ms: 15_000,
      what: `no audio energy from muted alice (last ${muted}, before ${before})`,
    });
    assert.ok((await audioEnergyFrom(carol, 'bob')) > 0, 'bob is still heard');
    // The others' tiles say so, read from the media (no packets), not from a new message.
    const aliceAt = (page) => panel(page).locator('.tile[data-nick=alice]');
    await aliceAt(bob).and(bob.locator('[data-mic=off]')).waitFor({ timeout: 10_000 });
    await aliceAt(bob).getByText('muted').waitFor();
    await alice.locator('[data-testid=call-mute]').click();
    await until(async () => (await audioEnergyFrom(bob, 'alice', 1500)) > 0, { ms: 10_000, what: 'alice heard again after unmute' });
    await aliceAt(bob).and(bob.locator('[data-mic=on]')).waitFor({ timeout: 10_000 });

    // Camera off: an avatar instead of a black picture, for everyone; on again: video.
    assert.equal(await aliceAt(carol).getAttribute('data-cam'), 'on');
    await alice.locator('[data-testid=call-camera]').click();
    await aliceAt(carol).and(carol.locator('[data-cam=off]')).waitFor({ timeout: 10_000 });
    await aliceAt(carol).locator('.avatar').waitFor();
    await alice.locator('[data-testid=call-camera]').click();
    await aliceAt(carol).and(carol.locator('[data-cam=on]')).waitFor({ timeout: 10_000 });
  });

  test('screen sharing: the others decode a second video track and see it large; a 4.08-style peer keeps the camera', async () => {
    const videoFrom = (page, nick) =>
      page.evaluate(async (nick) => {
        const p = window.__convosCalls.peerList().find((x) => x.nick === nick);
        const out = [];
        (await p.pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') out.push({ track: s.trackIdentifier, frames: s.framesDecoded ?? 0, width: s.frameWidth ?? 0 });
        });
        const screen = p.screen?.getVideoTracks()[0]?.id ?? null;
        return { screen, camera: p.pc.getReceivers().filter((r) => r.track.kind === 'video' && r.track.id !== screen).length, video: out };
      }, nick);
    const offers = async () => Object.fromEntries((await callStats(alice)).map((s) => [s.nick, s.sent.offers]));
    const sentBefore = await offers();
    const olgaOffers = () => olga.received.filter((r) => r.kind === 'OFR' && r.from === 'alice').length;
    const olgaBefore = olgaOffers();
    await alice.locator('[data-testid=call-share]').click();
    await alice.locator('[data-testid=call-share][aria-pressed=true]').waitFor();
    // Bob and carol: a second video track from alice (the screen), frames rising, shown large.
    for (const page of [bob, carol]) {
      await page.locator('[data-testid=call-screen][data-nick=alice]').waitFor({ timeout: 30_000 });
      // Frames of both tracks rising (the screen's stats appear once its first frames are in).
      let a = await videoFrom(page, 'alice');
      let b = a;
      await until(
        async () => {
          await sleep(1000);
          b = await videoFrom(page, 'alice');
          const rising = (pick) => (pick(b)?.frames ?? 0) > (pick(a)?.frames ?? 0);
          const screen = (x) => x.video.find((v) => v.track === x.screen);
          const camera = (x) => x.video.find((v) => v.track !== x.screen);
          const ok = rising(screen) && rising(camera) && screen(b).width >= 640;
          a = b;
          return ok;
        },
        { ms: 30_000, what: `${page.nick} decodes alice's screen (screen-sized) and camera: ${JSON.stringify(b)}` },
      );
    }
    // Each modern peer cost one more offer over IRC, olga none: her 4.08 client would
    // refuse it ("Already started"). She keeps one picture from alice, her camera.
    assert.deepEqual(await offers(), { ...sentBefore, bob: sentBefore.bob + 1, carol: sentBefore.carol + 1 });
    assert.equal(olgaOffers(), olgaBefore);
    const cam = await alice.evaluate(() => window.__convosCalls.call.local.getVideoTracks()[0].getSettings());
    const screen = await alice.evaluate(() => window.__convosCalls.call.screen.getVideoTracks()[0].getSettings());
    assert.notEqual(Math.round((100 * cam.width) / cam.height), Math.round((100 * screen.width) / screen.height), 'camera and screen differ in shape');
    const [o] = await assertOlgaGets(['alice']);
    assert.equal(o.videoReceivers, 1, `olga receives one video track from alice: ${JSON.stringify(o)}`);
    assert.equal(o.video.length, 1);
    assert.equal(Math.round((100 * o.shown.width) / o.shown.height), Math.round((100 * cam.width) / cam.height), `olga is shown alice's camera: ${JSON.stringify(o.shown)}`);
    await bob.screenshot({ path: path.join(REPO_DIR, 'docs', 'screenshot-call-share.png') });
    // Stop with the keyboard (s, focus in the call panel): the track goes, the call goes on.
    await alice.locator('[data-testid=call-share]').focus();
    await alice.keyboard.press('s');
    await alice.locator('[data-testid=call-share][aria-pressed=false]').waitFor();
    for (const page of [bob, carol]) {
      await page.locator('[data-testid=call-screen]').waitFor({ state: 'detached', timeout: 30_000 });
      assert.equal((await videoFrom(page, 'alice')).screen, null);
    }
    // The browser's own "Stop sharing" bar ends the track: the same as our button.
    await alice.locator('[data-testid=call-share]').click();
    await bob.locator('[data-testid=call-screen][data-nick=alice]').waitFor({ timeout: 30_000 });
    await alice.evaluate(() => {
      const t = window.__convosCalls.call.screen.getVideoTracks()[0];
      t.stop();
      t.dispatchEvent(new Event('ended'));
    });
    await alice.locator('[data-testid=call-share][aria-pressed=false]').waitFor();
    await bob.locator('[data-testid=call-screen]').waitFor({ state: 'detached', timeout: 30_000 });
    await assertMediaFrom(bob, ['alice', 'carol', 'olga'], assert);
    await assertOlgaGets(['alice', 'bob', 'carol']);
  });

  test('speaker layout: the active speaker large, the others in a strip', async () => {
    await carol.locator('[data-testid=call-layout]').click();
    await carol.locator('[data-testid=call-stage][data-layout=speaker]').waitFor();
    assert.equal(await carol.locator('[data-testid=call-stage] .main [data-peer-id]').count(), 1);
    assert.equal(await carol.locator('[data-testid=call-stage] .strip [data-peer-id]').count(), 3);
    // Someone is heard: a tile is marked as the active speaker.
    await carol.locator('[data-testid=call-panel] [data-active=true]').first().waitFor({ timeout: 30_000 });
    await carol.screenshot({ path: path.join(REPO_DIR, 'docs', 'screenshot-call-speaker.png') });
    await carol.locator('[data-testid=call-layout]').click();
    await carol.locator('[data-testid=call-stage]').waitFor({ state: 'detached' });
    // On another page the call floats small, playing; the sidebar's mark leads back.
    await carol.locator('.sidebar a.nav', { hasText: 'Settings' }).click();
    const mini = carol.locator('[data-testid=call-mini]');
    await mini.waitFor();
    await until(async () => (await mini.locator('video').evaluate((v) => v.videoWidth).catch(() => 0)) > 0, { ms: 10_000, what: 'video in the mini view' });
    // The browser's picture-in-picture (headless Chromium has it): in and out again. (The
    // browser refuses while the picture changes source, as it does when the speaker
    // changes: press again then.)
    const pip = mini.locator('[data-testid=call-mini-pip]');
    const inPip = () =>
      carol.evaluate(() => document.pictureInPictureElement?.tagName === 'VIDEO' && document.querySelector('[data-testid=call-mini-pip]')?.getAttribute('aria-pressed') === 'true');
    await until(
      async () => {
        if (!(await carol.evaluate(() => !!document.pictureInPictureElement))) await pip.click();
        return inPip();
      },
      { ms: 20_000, every: 500, what: 'the mini view in picture-in-picture, its button pressed' },
    );
    await pip.click();
    await mini.locator('[data-testid=call-mini-pip][aria-pressed=false]').waitFor();
    assert.equal(await carol.evaluate(() => document.pictureInPictureElement), null);
    assert.equal(await panel(carol).count(), 0);
    await carol.locator('.sidebar a.conv', { has: carol.locator('[data-testid=call-here-indicator]') }).click();
    await panel(carol).waitFor();
    assert.equal(await mini.count(), 0);
    await carol.locator('.sidebar a.nav', { hasText: 'Settings' }).click();
    await mini.getByRole('button', { name: 'Return to call' }).click();
    await panel(carol).waitFor();
  });

  test('devices: switching microphone and speaker mid-call keeps audio flowing, with no new offer/answer', async () => {
    const sent = async () => JSON.stringify((await callStats(alice)).map((s) => s.sent)) + JSON.stringify((await callStats(bob)).map((s) => s.sent));
    const before = await sent();
    await alice.locator('[data-testid=call-devices-toggle]').click();
    await alice.locator('[data-testid=device-audioinput]').selectOption({ label: 'Fake Audio Input 1' });
    const micLabel = () => alice.evaluate(() => window.__convosCalls.call.local.getAudioTracks()[0].label);
    await until(async () => (await micLabel()) === 'Fake Audio Input 1', { ms: 10_000, what: 'alice on Fake Audio Input 1' });
    // Every peer connection now sends the new track (replaceTrack), and it was the old one that stopped.
    const sending = await alice.evaluate(() => {
      const t = window.__convosCalls.call.local.getAudioTracks()[0];
      return window.__convosCalls.peerList().map((p) => p.pc.getSenders().some((s) => s.track === t));
    });
    assert.deepEqual(sending, [true, true, true]);
    // Bob keeps receiving alice's audio: bytes and energy rise after the switch.
    const bytes = async () => (await callStats(bob)).find((e) => e.nick === 'alice').audio.bytes;
    const b0 = await bytes();
    assert.ok((await audioEnergyFrom(bob, 'alice', 2000)) > 0, 'alice heard after the switch');
    assert.ok((await bytes()) > b0, 'audio bytes from alice rising after the switch');
    // The speaker: every participant plays through the chosen output.
    await alice.locator('[data-testid=device-audiooutput]').selectOption({ label: 'Fake Audio Output 1' });
    const want = await alice.locator('[data-testid=device-audiooutput]').inputValue();
    await until(
      async () => (await alice.evaluate(() => [...window.__convosCalls.audios.values()].map((a) => a.sinkId))).every((id) => id === want),
      { ms: 5_000, what: 'sinkId on every participant' },
    );
    // Remembered in this browser; nothing new went over IRC.
    const saved = JSON.parse(await alice.evaluate(() => localStorage.getItem('convos.call.devices')));
    assert.equal(saved.audiooutput, want);
    assert.ok(saved.audioinput, 'microphone remembered');
    assert.equal(await sent(), before, 'no new offer or answer');
    await alice.locator('[data-testid=call-devices-toggle]').click();
    // Both unplugged, as the browser tells it (a devicechange, and the list without them):
    // back to the default microphone and speaker, with a word; the voice goes on.
    await alice.evaluate(() => {
      const md = navigator.mediaDevices;
      const all = md.enumerateDevices.bind(md);
      md.enumerateDevices = async () => (await all()).filter((d) => !['Fake Audio Input 1', 'Fake Audio Output 1'].includes(d.label));
      md.dispatchEvent(new Event('devicechange'));
    });
    const log = alice.locator('[data-testid=call-log]');
    await log.filter({ hasText: '“Fake Audio Input 1” was disconnected: using the default microphone.' }).waitFor();
    await log.filter({ hasText: 'The chosen speaker was disconnected: playing through the default speaker.' }).waitFor();
    await until(async () => (await micLabel()) !== 'Fake Audio Input 1', { ms: 10_000, what: 'alice back on the default microphone' });
    const b1 = await bytes();
    assert.ok((await audioEnergyFrom(bob, 'alice', 2000)) > 0, 'alice heard after the fallback');
    assert.ok((await bytes()) > b1, 'audio bytes from alice rising after the fallback');
    assert.equal(await sent(), before, 'no new offer or answer');
    await alice.evaluate(() => delete navigator.mediaDevices.enumerateDevices);
  });

  test('hang-up: each leaver disappears for the others; the last one is left alone', async () => {
    await hangup(alice);
    await Promise.all([waitPeers(bob, ['carol', 'olga'], 20_000), waitPeers(carol, ['bob', 'olga'], 20_000)]);
    await until(async () => (await olga.stats()).map((e) => e.nick).sort().join() === 'bob,carol', { ms: 20_000, what: 'olga: alice gone' });
    await bob.locator('[data-testid=call-log]', { hasText: 'alice left the call.' }).waitFor();
    // Alice comes back: now olga's 4.08 client offers to her, in its lossy SDP, which
    // alice's browser must repair to accept (lib/legacy.ts).
    const olgaOffered = olga.received.length;
    await startCall(alice);
    await waitPeers(alice, ['bob', 'carol', 'olga'], 90_000);
    // Alice's three answers go out paced (after a burst, an IRC line a second), so olga may
    // have hers a while after alice's side shows connected.
    await until(async () => (await olga.stats()).some((e) => e.nick === 'alice' && e.state === 'connected'), { ms: 60_000, what: 'olga connected to alice again' });
    await until(async () => ((await callStats(alice)).find((e) => e.nick === 'olga')?.video?.frames ?? 0) > 0, { ms: 30_000, what: 'alice decodes olga again' });
    await assertMediaFrom(alice, ['olga'], assert);
    await assertOlgaGets(['alice']);
    assert.ok(!olga.received.slice(olgaOffered).some((r) => r.kind === 'OFR'), 'olga offered, she was not offered to');
    await hangup(alice);
    await Promise.all([waitPeers(bob, ['carol', 'olga'], 20_000), waitPeers(carol, ['bob', 'olga'], 20_000)]);
    await olga.hangup();
    await Promise.all([waitPeers(bob, ['carol'], 20_000), waitPeers(carol, ['bob'], 20_000)]);
    await hangup(bob);
    await until(async () => (await callStats(carol)).length === 0, { ms: 20_000, what: 'carol to have no peers' });
    await hangup(carol);
    for (const p of [alice, bob, carol, dave]) assert.deepEqual(await callStats(p), []);
    // Nobody left in the call: the "in a call" line went away for everyone.
    for (const p of [alice, bob, carol, dave]) {
      await until(async () => (await p.locator('[data-testid=call-ringing]').count()) === 0, { ms: 20_000, what: `${p.nick}: no call going on` });
    }
  });

  test('two daemons sharing one IRC server', async () => {
    // The 4-party call that just ended is in the log, and can be searched for.
    await bob.locator('.system.call', { hasText: /Call ended — .*, 4 participants\./ }).waitFor({ timeout: 10_000 });
    const api = await apiFor(bob.context(), daemon.url);
    let found;
    await until(
      async () => {
        found = await api.get('/api/search?match=' + encodeURIComponent('"call ended"'));
        return found.messages.some((m) => m.type === 'call' && /4 participants/.test(m.message));
      },
      { ms: 10_000, what: 'the call log found by search' },
    );
    await startCall(dave);
    await joinRinging(alice, 'dave');
    await Promise.all([waitPeers(alice, ['dave']), waitPeers(dave, ['alice'])]);
    await assertMediaFrom(alice, ['dave'], assert);
    await assertMediaFrom(dave, ['alice'], assert);
    await hangup(dave);
    await until(async () => (await callStats(alice)).length === 0, { ms: 20_000, what: 'alice: dave gone' });
    await hangup(alice);
    // Bob was rung and never joined: a missed call, highlighted and in his notifications.
    await bob.locator('.system.call.highlight', { hasText: 'Missed call from dave' }).waitFor({ timeout: 10_000 });
    const notes = await api.get('/api/notifications');
    assert.ok(notes.messages.some((m) => /Missed call from dave/.test(m.message)), 'missed call notification');
    await alice.locator('.system.call', { hasText: /Call ended — .*, 2 participants\./ }).waitFor({ timeout: 10_000 });
  });

  test('a private conversation call', async () => {
    await say(alice, '/query bob');
    await alice.locator('.chat h1', { hasText: 'bob' }).waitFor();
    await say(alice, 'call you in a sec');
    await bob.locator('.sidebar a.conv', { hasText: 'alice' }).waitFor({ timeout: 15_000 });
    await openConversation(bob, 'alice');
    await startCall(alice);
    await joinRinging(bob, 'alice');
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    await assertMediaFrom(alice, ['bob'], assert);
    await assertMediaFrom(bob, ['alice'], assert);
    await hangup(bob);
    await until(async () => (await callStats(alice)).length === 0, { ms: 20_000, what: 'alice: bob gone' });
    await hangup(alice);
  });

  test('joined with audio only, then camera on: the others start receiving video', async () => {
    await openConversation(alice, CHANNEL);
    await openConversation(bob, CHANNEL);
    await startCall(alice);
    const ring = bob.locator('[data-testid=call-ringing]');
    await ring.filter({ hasText: 'alice' }).waitFor({ timeout: 20_000 });
    await ring.getByRole('button', { name: 'Audio only', exact: true }).click();
    await joinFromPreview(bob);
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    await assertMediaFrom(bob, ['alice'], assert);
    const fromBob = async () => (await callStats(alice)).find((e) => e.nick === 'bob')?.video?.frames ?? 0;
    const before = await fromBob();
    await sleep(1500);
    assert.equal(await fromBob(), before, 'no video from bob while he is audio-only');
    const camera = bob.locator('[data-testid=call-camera]');
    assert.equal(await camera.innerText(), 'Camera on');
    await camera.click();
    await until(async () => (await camera.innerText()) === 'Camera off', { ms: 10_000, what: "bob's camera on" });
    // One more offer/answer over IRC, then alice decodes bob's video and still hears him.
    await until(async () => (await fromBob()) > before, { ms: 30_000, what: 'video from bob after camera on' });
    await assertMediaFrom(alice, ['bob'], assert);
    await bob.locator('.tile[data-nick=bob] video:not(.hidden)').waitFor();
    await alice.locator('.tile[data-nick=bob] video:not(.hidden)').waitFor();
    await hangup(bob);
    await until(async () => (await callStats(alice)).length === 0, { ms: 20_000, what: 'alice: bob gone' });
    await hangup(alice);
  });

  test('the IRC connection drops mid-call: the call pauses and re-forms when it returns', async () => {
    await Promise.all([alice, bob].map((p) => p.evaluate(() => window.__convosCalls.hangup())));
    await openConversation(alice, CHANNEL);
    await openConversation(bob, CHANNEL);
    await startCall(alice);
    await joinRinging(bob, 'alice');
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    // Drop alice's IRC connection (as the network would) and bring it back.
    const api = await apiFor(alice.context(), daemon.url);
    const { connections } = await api.get('/api/connections');
    const cid = encodeURIComponent(connections[0].connection_id);
    await api.post(`/api/connection/${cid}`, { wanted_state: 'disconnected' });
    await alice.locator('[data-testid=call-paused]', { hasText: 'paused' }).waitFor({ timeout: 20_000 });
    // Bob sees alice quit IRC, so her tile goes (docs/rtcz.md D13: QUIT closes the peer).
    await until(async () => (await callStats(bob)).length === 0, { ms: 20_000, what: 'bob: alice gone on QUIT' });
    await api.post(`/api/connection/${cid}`, { wanted_state: 'connected' });
    // Back: the call sends CALL again and bob re-offers.
    await alice.locator('[data-testid=call-panel][data-phase=active]').waitFor({ timeout: 60_000 });
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    await assertMediaFrom(alice, ['bob'], assert);
    await assertMediaFrom(bob, ['alice'], assert);
    await hangup(alice);
    await until(async () => (await callStats(bob)).length === 0, { ms: 20_000, what: 'bob: alice gone' });
    await hangup(bob);
  });

  test('camera denied: the user is told, and may join listen-only', async () => {
    const state = await bob.context().storageState();
    const denied = await newPage(browser, { storageState: state });
    denied.nick = 'bob (denied)';
    await denied.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await denied.goto(`${daemon.url}/chat`);
    await openConversation(denied, CHANNEL);
    await callButton(denied).click();
    const err = denied.locator('[data-testid=call-media-error]');
    await err.waitFor();
    assert.match(await err.innerText(), /Access to the camera and microphone was denied/);
    await err.getByRole('button', { name: 'Join with audio only' }).waitFor();
    await err.getByRole('button', { name: 'Listen only' }).click();
    await panel(denied).and(denied.locator('[data-phase=active]')).waitFor();
    await denied.locator('[data-testid=call-hangup]').click();
    await denied.context().close();
  });

  test('relay only through coturn: the selected candidate pair is relay', async () => {
    const relay = await startDaemon({
      name: 'convos-relay',
      env: { CONVOS_TURN: `turn://test:testpass@127.0.0.1:${turn.port}`, CONVOS_RTC_RELAY_ONLY: '1' },
    });
    const [frank, gina] = await users(browser, relay, ircd.port, '#relay', ['frank', 'gina']);
    assert.equal((await frank.evaluate(() => window.__convosCalls.rtc)).ice_transport_policy, 'relay');
    await relayedCall(frank, 'frank', gina, 'gina');
    await relay.stop();
  });

  test('relay only through the built-in TURN server: convos alone is enough', async () => {
    const turnPort = await freePort();
    const builtin = await startDaemon({
      name: 'convos-builtin-turn',
      env: {
        CONVOS_TURN_LISTEN: `udp://127.0.0.1:${turnPort}`,
        CONVOS_TURN_RELAY_PORTS: '42000-42199',
        CONVOS_RTC_RELAY_ONLY: '1',
      },
    });
    const [jon, kim] = await users(browser, builtin, ircd.port, '#builtin', ['jon', 'kim']);
    const rtc = await jon.evaluate(() => window.__convosCalls.rtc);
    assert.equal(rtc.ice_transport_policy, 'relay');
    const turnEntry = rtc.ice_servers.find((s) => String(s.urls).startsWith('turn:'));
    assert.ok(turnEntry?.username?.includes(':'), 'short-lived TURN REST username');
    await relayedCall(jon, 'jon', kim, 'kim');
    await builtin.stop();
  });

  test('an unreachable TURN server: the call says it could not connect', async () => {
    const closed = await freePort();
    const bad = await startDaemon({
      name: 'convos-badturn',
      env: { CONVOS_TURN: `turn://test:testpass@127.0.0.1:${closed}`, CONVOS_RTC_RELAY_ONLY: '1' },
    });
    const [hank, ivy] = await users(browser, bad, ircd.port, '#badturn', ['hank', 'ivy']);
    await startCall(hank);
    await joinRinging(ivy, 'hank');
    const msg = /Could not connect to (ivy|hank) — a TURN server may be needed/;
    await Promise.all([
      hank.locator('[data-testid=call-panel]', { hasText: msg }).first().waitFor({ timeout: 90_000 }),
      ivy.locator('[data-testid=call-panel]', { hasText: msg }).first().waitFor({ timeout: 90_000 }),
    ]);
    await hangup(hank);
    await hangup(ivy);
    await bad.stop();
  });
});
