#!/usr/bin/env python3
"""Times `chat.search` one request at a time (no queueing) on a seeded store, with the term
sets of ferrochat-bench's scenario 8, and saves the result ids so two binaries can be
checked for identical answers (BENCHMARKS.md). Standard library only.

    bench/search-probe.py BIN DATA_DIR MANIFEST [DATABASE_URL]
    N=40 OUT=/tmp/probe.json bench/search-probe.py ferrochat /tmp/sq /tmp/sq/bench-seed.json

Prints each search's latency, result count and terms, then median / max / total.
"""
import json, os, subprocess, sys, time, urllib.request, urllib.parse, socket
binary, datadir, manifest = sys.argv[1], sys.argv[2], sys.argv[3]
dburl = sys.argv[4] if len(sys.argv) > 4 else None
m = json.load(open(manifest))
u = m['users'][0]; rid = m['big_room']['id']
useful = [w for w in m['vocabulary'] if len(w) > 3]
def terms(i):
    n = 1 + i % 3
    out = []
    for k in range(n):
        x = (i * 2654435761 + k * 40503) % (2**64)
        out.append(useful[x % len(useful)])
    return ' '.join(out)
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, PORT=str(port), BIND_IP='127.0.0.1', ROOT_URL=f'http://127.0.0.1:{port}', TEST_MODE='true', RUST_LOG='warn', DATA_DIR=datadir)
if dburl: env['DATABASE_URL'] = dburl
p = subprocess.Popen([binary, 'serve'], env=env, stdout=subprocess.DEVNULL, stderr=open(os.environ.get('LOG', '/tmp/search-probe.log'), 'w'))
base = f'http://127.0.0.1:{port}'
for _ in range(600):
    try:
        urllib.request.urlopen(base + '/readyz', timeout=1); break
    except Exception: time.sleep(0.1)
res = []
try:
    for i in range(int(os.environ.get('N', '40'))):
        t = terms(i)
        q = urllib.parse.urlencode({'roomId': rid, 'searchText': t, 'count': '20'})
        req = urllib.request.Request(f'{base}/api/v1/chat.search?{q}', headers={'X-User-Id': u['id'], 'X-Auth-Token': u['token']})
        t0 = time.perf_counter()
        body = json.load(urllib.request.urlopen(req, timeout=120))
        dt = (time.perf_counter() - t0) * 1000
        ids = [x['_id'] for x in body['messages']]
        res.append((t, dt, len(ids), ids))
finally:
    p.terminate(); p.wait()
for t, dt, n, _ in res:
    print(f'{dt:9.1f} ms  {n:3d}  {t}')
lat = sorted(r[1] for r in res)
print('median %.1f  max %.1f  total %.0f ms' % (lat[len(lat)//2], lat[-1], sum(lat)))
json.dump([(t, ids) for t, _, _, ids in res], open(os.environ.get('OUT', '/tmp/search-probe.json'), 'w'))
