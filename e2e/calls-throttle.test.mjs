// A call on a throttled link (issue 25): the whole set-up (InspIRCd, the daemon, Chromium)
// runs in a network namespace of its own (`unshare -n`: a private loopback, nothing leaves
// it), where `tc` puts a token bucket on that loopback mid-call. The camera sender must
// scale down (our `setParameters` limit, from the loss it reads: lib/quality.ts) while
// the voice keeps flowing, and come back up when the link is freed. No timing asserts:
// bounded polls only.
//
// Needs root, `unshare` (util-linux) and `tc` (iproute2); under CI=true their absence
// fails the test instead of skipping it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { launchBrowser, requireTools, startDaemon, startIrcd, stopAll, until } from './lib/harness.mjs';
import { callStats, users, waitPeers } from './lib/calls-harness.mjs';

const INSIDE = process.env.CONVOS_E2E_NETNS === '1';
/** What the link is throttled to: both directions of every flow share it. */
const RATE = '400kbit';

/** Why the namespace cannot be made here, or null. */
function netnsMissing() {
  if (process.getuid?.() !== 0) return 'root (for unshare -n and tc)';
  const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const lack = ['unshare', 'tc', 'ip'].filter((c) => !have(c));
  if (lack.length) return `${lack.join(', ')} (apt-get install util-linux iproute2)`;
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms'], { encoding: 'utf8' });
  if (probe.status !== 0) return `a network namespace with a tc token bucket (${probe.stderr.trim()})`;
  return null;
}

function tc(...args) {
  const r = spawnSync('tc', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `tc ${args.join(' ')}: ${r.stderr}`);
}

/** The outer run: starts this file again inside a new network namespace. */
function outside() {
  let skip = requireTools();
  const missing = skip ? null : netnsMissing();
  if (missing) {
    if (process.env.CI === 'true') throw new Error(`missing: ${missing} (CI=true: the throttled call must not be skipped)`);
    skip = `missing: ${missing}`;
    console.error(`\n*** SKIPPED: ${skip} ***\n`);
  }
  describe('calls on a throttled link', { skip: skip ?? false }, () => {
    test('in a network namespace of its own', { timeout: 240_000 }, async () => {
      // Without NODE_TEST_CONTEXT, or node:test would see itself nested and run nothing.
      const env = { ...process.env, CONVOS_E2E_NETNS: '1' };
      delete env.NODE_TEST_CONTEXT;
      const script = 'ip link set lo up && exec "$0" --test-reporter=spec "$1"';
      const child = spawn('unshare', ['-n', 'sh', '-c', script, process.execPath, fileURLToPath(import.meta.url)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 230_000);
      const code = await new Promise((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      for (const line of out.split('\n')) if (line.trim()) console.log(`# ${line}`);
      assert.equal(code, 0, 'the throttled call passed inside its namespace');
      assert.match(out, /pass 1\b/, 'the throttled call ran');
    });
  });
}

/** The inner run, in the namespace. */
function inside() {
  describe('inside the namespace', { timeout: 200_000 }, () => {
    after(async () => {
      spawnSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      await stopAll();
    });

    test('a throttled link: the camera scales down, the voice goes on, then it recovers', async () => {
      const [ircd, browser] = await Promise.all([startIrcd(), launchBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] })]);
      // No STUN server answers in here; host candidates on the loopback are enough.
      const daemon = await startDaemon({ env: { CONVOS_STUN: 'stun://127.0.0.1:9' } });
      const [alice, bob] = await users(browser, daemon, ircd.port, '#slow', ['alice', 'bob']);
      await alice.locator('[data-testid=call-button]').click();
      await alice.locator('[data-testid=call-join-now]').click();
      await bob.locator('[data-testid=call-ringing]').getByRole('button', { name: 'Join', exact: true }).click({ timeout: 20_000 });
      await bob.locator('[data-testid=call-join-now]').click();
      await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);

      /** Alice's camera sender to bob: our limit, and what the browser makes of it. */
      const sender = () =>
        alice.evaluate(async () => {
          const p = window.__convosCalls.peerList()[0];
          const s = p.pc.getSenders().find((x) => x.track?.kind === 'video');
          const e = s.getParameters().encodings[0] ?? {};
          const out = { maxBitrate: e.maxBitrate ?? null, scale: e.scaleResolutionDownBy ?? 1, target: null, width: null };
          (await s.getStats()).forEach((r) => {
            if (r.type === 'outbound-rtp') Object.assign(out, { target: r.targetBitrate ?? null, width: r.frameWidth ?? null });
          });
          return out;
        });
      const audioIn = async () => (await callStats(bob)).find((e) => e.nick === 'alice')?.audio?.bytes ?? 0;
      // Free link: the camera goes at full size and the one-peer budget.
      let free;
      await until(async () => (free = await sender()).maxBitrate === 1_500_000 && free.scale === 1 && free.width > 0, {
        ms: 20_000,
        what: `full camera before the throttle: ${JSON.stringify(free)}`,
      });
      console.log(`# free link: ${JSON.stringify(free)}`);

      tc('qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', RATE, 'burst', '16kbit', 'latency', '80ms');
      // The link loses packets: our limit cuts the bitrate and then the resolution, on
      // top of what the browser's own estimate does.
      let slow;
      await until(async () => (slow = await sender()).scale >= 1.5 && slow.maxBitrate < free.maxBitrate, {
        ms: 45_000,
        every: 1000,
        what: `the camera to scale down on ${RATE}: ${JSON.stringify(slow)}`,
      });
      console.log(`# throttled to ${RATE}: ${JSON.stringify(slow)}`);
      // The voice keeps flowing through it.
      const a0 = await audioIn();
      await until(async () => (await audioIn()) > a0 + 2000, { ms: 15_000, every: 500, what: 'audio from alice on the throttled link' });

      tc('qdisc', 'del', 'dev', 'lo', 'root');
      // Free again: the limit is raised step by step (a reading may still cut it first).
      let low = slow.maxBitrate;
      let back;
      await until(
        async () => {
          back = await sender();
          low = Math.min(low, back.maxBitrate);
          return back.maxBitrate > low * 1.3;
        },
        { ms: 45_000, every: 1000, what: `the camera limit to rise again from ${low}: ${JSON.stringify(back)}` },
      );
      console.log(`# link freed: ${JSON.stringify(back)}`);
    });
  });
}

if (INSIDE) inside();
else outside();
