#!/usr/bin/env python3
"""A signed-in HTTP request's cost: `python3 bench/request.py BINARY [PATH] [N]`.

Starts `BINARY daemon` on a fresh home (127.0.0.1, a free port), registers a user, then
sends N (default 5 000) `GET PATH` (default `/api/user`) on one kept-alive connection
after 200 to warm up, and prints the p50/p99 round trip and the daemon's CPU per request
(utime + stime from /proc). The client is Python: compare builds with this same script,
alternating runs (figures in BENCHMARKS.md, issue 22). Bounded: N requests, 10 s start.
"""
import http.client, json, os, shutil, subprocess, sys, tempfile, time, socket
binp = sys.argv[1]
path = sys.argv[2] if len(sys.argv) > 2 else '/api/user'
n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
home = tempfile.mkdtemp()
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, CONVOS_HOME=home)
p = subprocess.Popen([binp, 'daemon', '--listen', f'http://127.0.0.1:{port}', '--log-level', 'warn'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            c = http.client.HTTPConnection('127.0.0.1', port); c.request('GET', '/healthz'); c.getresponse().read(); break
        except Exception: time.sleep(0.1)
    base = f'http://127.0.0.1:{port}'
    c = http.client.HTTPConnection('127.0.0.1', port)
    c.request('POST', '/api/user/register', json.dumps({'email': 'a@example.com', 'password': 'correct horse battery'}), {'Content-Type': 'application/json', 'Origin': base})
    r = c.getresponse(); r.read()
    cookie = r.getheader('Set-Cookie').split(';')[0]
    def cpu():
        f = open(f'/proc/{p.pid}/stat').read().rsplit(') ', 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
    lat = []
    for i in range(n + 200):
        if i == 200: c0 = cpu()
        t = time.perf_counter()
        c.request('GET', path, headers={'Cookie': cookie})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
        if i >= 200: lat.append((time.perf_counter() - t) * 1e3)
    c1 = cpu()
    lat.sort()
    print(f'{os.path.basename(binp)} {path}: p50 {lat[len(lat)//2]:.3f} ms p99 {lat[int(len(lat)*0.99)]:.3f} ms, server CPU {(c1-c0)*1e6/n:.0f} us/req')
finally:
    p.terminate(); p.wait()
    shutil.rmtree(home, ignore_errors=True)
