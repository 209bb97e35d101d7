#!/usr/bin/python3
"""bench-smoke: tools/bench --smoke runs every benchmark against every peer on
tiny cases and writes one row per benchmark x case x peer x metric. Checks
the shape (all eight benchmarks, the same rows as planned, CSV = JSON), that
the peers built here (native, ringlet, epoll, io_uring) measured something
(rates and latencies positive; B6's per-connection memory comes from global
counters and means nothing at smoke's 20 connections, so only its presence
is checked), and that a peer whose tool is missing (Go, nginx, wrk, perf not
installed) is a recorded failure with its reason, not a missing row."""
import csv
import json
import os
import subprocess
import sys
import tempfile

repo = os.environ['SOURCE_ROOT']
out = tempfile.mkdtemp(prefix='bench-smoke.')
r = subprocess.run([os.path.join(repo, 'tools/bench'), '--smoke', '--no-build', '--no-install', '--out', out],
                   capture_output=True, text=True, timeout=900)
if r.returncode:
    print(r.stdout[-3000:], r.stderr[-3000:])
    sys.exit('tools/bench --smoke exited %d' % r.returncode)
with open(os.path.join(out, 'results.json')) as f:
    res = json.load(f)
with open(os.path.join(out, 'results.csv')) as f:
    rows = list(csv.DictReader(f))
bad = []
if len(rows) != len(res['rows']):
    bad.append('CSV has %d rows, JSON %d' % (len(rows), len(res['rows'])))
benches = sorted({r['bench'] for r in rows})
if benches != ['B%d' % i for i in range(1, 9)]:
    bad.append('benchmarks in the results: %s' % benches)
missing = res['settings']['missing']
needs = {'go1': 'go', 'go': 'go', 'nginx': 'nginx'}
for row in res['rows']:
    key = '%s %s %s %s' % (row['bench'], row['case'], row['peer'], row['metric'])
    if row['reps'] < 1:
        bad.append('%s: never run' % key)
    need = needs.get(row['peer'])
    if row['bench'] == 'B5' and 'wrk' in missing or row['bench'] == 'B8' and 'perf' in missing:
        need = 'wrk' if row['bench'] == 'B5' else 'perf'
    if need in missing:
        if row['failed'] == 0 and row['median'] is not None:
            bad.append('%s: measured although %s is missing' % (key, need))
        elif not row['error']:
            bad.append('%s: failed without a reason' % key)
        continue
    if row['median'] is None:
        bad.append('%s: failed: %s' % (key, row['error']))
    elif row['metric'] in ('rate', 'handoff_ns', 'bare_ns', 'p99_us') and row['median'] <= 0:
        bad.append('%s: implausible %s' % (key, row['median']))
# Under ringlet a thread-per-connection server runs on one OS thread.
for row in res['rows']:
    if row['bench'] == 'B3' and row['metric'] == 'os_threads' and row['median'] is not None:
        conns = int(row['case'].split('conns=')[1].split(',')[0])
        if row['peer'].startswith('ringlet') and row['median'] > 4:
            bad.append('B3 %s %s: %s OS threads' % (row['case'], row['peer'], row['median']))
        if row['peer'] == 'native' and conns >= 10 and row['median'] < conns:
            bad.append('B3 %s native: %s OS threads for %d connections' % (row['case'], row['median'], conns))
for b in bad:
    print(b)
print('%d rows, %d problems; missing tools: %s' % (len(rows), len(bad), missing or 'none'))
sys.exit(1 if bad else 0)
