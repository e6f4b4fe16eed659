import { describe, expect, it, vi } from 'vitest';
import { FakePc, fakeStream, tick } from './peer.fake';
import { foldNick, isPolite, Peer, type SignalOut } from './peer';

function mk(nick: string, role: 'caller' | 'callee', polite: boolean, opts: { connectMs?: number } = {}) {
  const sent: SignalOut[] = [];
  let pc!: FakePc;
  const problems: string[] = [];
  const peer = new Peer({
    nick,
    role,
    polite,
    stream: fakeStream(),
    createPc: () => (pc = new FakePc()),
    send: async (s) => void sent.push(s),
    onProblem: (_p, m) => problems.push(m),
    gatherMs: 50,
    connectMs: opts.connectMs ?? 10_000,
  });
  return { peer, sent, pc, problems };
}

/** Delivers what `from` sent so far to `to`, then clears it. */
async function deliver(from: { sent: SignalOut[] }, to: { peer: Peer }) {
  const list = from.sent.splice(0);
  for (const s of list) await to.peer.signal(s);
}

describe('nick order', () => {
  it('casefolds rfc1459 and makes the smaller nick impolite', () => {
    expect(foldNick('Bob[x]~')).toBe('bob{x}^');
    expect(isPolite('alice', 'Bob')).toBe(false);
    expect(isPolite('bob', 'Alice')).toBe(true);
    expect(isPolite('A[', 'a{')).toBe(false);
  });
});

describe('Peer', () => {
  it('caller offers once gathering completes, with the candidates in the SDP', async () => {
    const a = mk('bob', 'caller', false);
    // Polled, not a fixed wait: a loaded machine may run the fake gathering late.
    await vi.waitFor(() => expect(a.sent).toEqual([{ offer: expect.stringMatching(/^offer/) }]));
    expect(a.pc.tracks).toBe(2);
    expect(a.peer.sent.offers).toBe(1);
  });

  it('sends the offer after the gathering cap when gathering never completes', async () => {
    const sent: SignalOut[] = [];
    new Peer({
      nick: 'bob',
      role: 'caller',
      polite: false,
      stream: null,
      createPc: () => Object.assign(new FakePc(), { gatherDelay: null }),
      send: async (s) => void sent.push(s),
      gatherMs: 30,
    });
    await tick(10);
    expect(sent).toEqual([]);
    await tick(40);
    expect(sent.length).toBe(1);
  });

  it('listen-only caller offers recvonly transceivers', async () => {
    let pc!: FakePc;
    new Peer({ nick: 'x', role: 'caller', polite: true, stream: null, createPc: () => (pc = new FakePc()), send: async () => {} });
    expect(pc.transceivers).toEqual(['audio', 'video']);
  });

  it('callee never offers: it answers, adding its tracks after the remote offer', async () => {
    const b = mk('alice', 'callee', true);
    await tick(5);
    expect(b.sent).toEqual([]);
    expect(b.pc.tracks).toBe(0);
    await b.peer.signal({ offer: 'offer x' });
    expect(b.pc.tracks).toBe(2);
    expect(b.sent).toEqual([{ answer: expect.stringMatching(/^answer/) }]);
    await tick(5);
    expect(b.sent.length).toBe(1);
  });

  it('a caller and a callee connect: offer, answer, stable on both sides', async () => {
    const a = mk('bob', 'caller', false); // alice's side
    const b = mk('alice', 'callee', true); // bob's side
    await tick(5);
    await deliver(a, b);
    await deliver(b, a);
    expect(a.pc.signalingState).toBe('stable');
    expect(b.pc.signalingState).toBe('stable');
    expect(a.pc.remoteDescription?.type).toBe('answer');
  });

  it('glare: both offer; the impolite ignores, the polite rolls back and answers', async () => {
    // alice < bob: alice is impolite.
    const alice = mk('bob', 'caller', isPolite('alice', 'bob'));
    const bob = mk('alice', 'caller', isPolite('bob', 'alice'));
    await tick(5);
    expect(alice.sent[0]).toHaveProperty('offer');
    expect(bob.sent[0]).toHaveProperty('offer');
    const fromAlice = alice.sent.splice(0);
    const fromBob = bob.sent.splice(0);
    for (const s of fromBob) await alice.peer.signal(s); // impolite: ignored
    for (const s of fromAlice) await bob.peer.signal(s); // polite: rollback + answer
    expect(alice.pc.signalingState).toBe('have-local-offer');
    expect(bob.sent).toEqual([{ answer: expect.any(String) }]);
    await deliver(bob, alice);
    expect(alice.pc.signalingState).toBe('stable');
    expect(bob.pc.signalingState).toBe('stable');
    await tick(5);
    // No stale offer from bob after his rollback.
    expect(bob.sent.filter((s) => 'offer' in s)).toEqual([]);
  });

  it('does not send an offer made stale by a rollback while gathering', async () => {
    const sent: SignalOut[] = [];
    let pc!: FakePc;
    const p = new Peer({
      nick: 'a',
      role: 'caller',
      polite: true,
      stream: fakeStream(),
      createPc: () => (pc = Object.assign(new FakePc(), { gatherDelay: 40 })),
      send: async (s) => void sent.push(s),
      gatherMs: 1000,
    });
    await tick(5);
    expect(pc.signalingState).toBe('have-local-offer');
    await p.signal({ offer: 'remote offer' }); // polite: rollback, answer (after gathering)
    await tick(60);
    expect(sent.map((s) => Object.keys(s)[0])).toEqual(['answer']);
  });

  it('queues ICE candidates until the remote description is set', async () => {
    const b = mk('alice', 'callee', true);
    await b.peer.signal({ ice: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: '0' });
    await b.peer.signal({ ice: 'candidate:2 1 udp 1 127.0.0.1 5001 typ host', sdpMid: '1', sdpMLineIndex: 1 });
    expect(b.peer.queuedIce).toBe(2);
    expect(b.pc.added).toEqual([]);
    await b.peer.signal({ offer: 'o' });
    expect(b.peer.queuedIce).toBe(0);
    expect(b.pc.added).toEqual([
      { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:2 1 udp 1 127.0.0.1 5001 typ host', sdpMid: '1', sdpMLineIndex: 1 },
    ]);
    await b.peer.signal({ ice: 'candidate:3 1 udp 1 127.0.0.1 5002 typ host', sdpMid: '0', sdpMLineIndex: 0 });
    expect(b.pc.added.length).toBe(3);
  });

  it('ignores an answer when no offer is outstanding', async () => {
    const b = mk('alice', 'callee', true);
    await b.peer.signal({ answer: 'a' });
    expect(b.pc.remoteDescription).toBeNull();
  });

  it('ICE failure restarts ICE once, then reports the peer unreachable', async () => {
    const a = mk('bob', 'caller', false);
    await tick(5);
    const changes = vi.fn();
    a.pc.setIce('checking');
    a.pc.setIce('failed');
    expect(a.peer.state).toBe('reconnecting');
    expect(a.pc.restarts).toBe(1);
    a.pc.setIce('failed');
    expect(a.peer.state).toBe('failed');
    expect(a.peer.problem).toBe('Could not connect to bob — a TURN server may be needed.');
    expect(a.problems).toEqual([a.peer.problem]);
    void changes;
  });

  it('recovers when connected after a restart; a no-connection timeout counts as failure', async () => {
    const a = mk('bob', 'caller', false, { connectMs: 20 });
    await tick(5);
    await a.peer.signal({ answer: 'x' });
    await tick(30);
    expect(a.peer.state).toBe('reconnecting');
    expect(a.pc.restarts).toBe(1);
    a.pc.setIce('connected');
    expect(a.peer.state).toBe('connected');
    expect(a.peer.restarts).toBe(0);
  });

  it('reports rejected TURN credentials', async () => {
    const a = mk('bob', 'caller', false);
    const ev = Object.assign(new Event('icecandidateerror'), { url: 'turn:127.0.0.1:3478?transport=udp', errorCode: 401, errorText: 'Unauthorized' });
    a.pc.onicecandidateerror?.(ev);
    expect(a.problems).toEqual(['The TURN server turn:127.0.0.1:3478?transport=udp rejected the credentials.']);
  });

  it('close stops everything and ignores later signals', async () => {
    const a = mk('bob', 'caller', false);
    a.peer.close();
    expect(a.pc.closed).toBe(true);
    expect(a.peer.state).toBe('closed');
    await a.peer.signal({ offer: 'o' });
    expect(a.pc.remoteDescription).toBeNull();
  });
});
