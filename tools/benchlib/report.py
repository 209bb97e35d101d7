"""Results: one row per benchmark x case x peer x metric with the median,
min and max of the repetitions (a failed run counts as a failure, the row is
always there), the floors issue 5 sets, CSV, JSON and the text table."""
import csv
import json

from .suite import BENCHES, case_name


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return None if not n else xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def plan(only):
    """The benchmarks to run, in order (tools/bench runs them rep-major, then
    benchmark, case, peer: peers interleaved, A B C A B C)."""
    return [b for b in BENCHES if not only or b.id in only]


def rows(benches, mode, runs):
    """runs: [{bench, case, peer, rep, values|None, error}] -> rows."""
    out = []
    for b in benches:
        for case in b.cases(mode):
            cn = case_name(case)
            for peer in b.peers:
                mine = [r for r in runs if r['bench'] == b.id and r['case'] == cn and r['peer'] == peer]
                failed = [r for r in mine if r['values'] is None]
                for metric, unit, better in b.metrics(peer):
                    vals = [r['values'][metric] for r in mine
                            if r['values'] is not None and r['values'].get(metric) is not None]
                    out.append({
                        'bench': b.id, 'title': b.title, 'case': cn, 'peer': peer,
                        'metric': metric, 'unit': unit, 'better': better,
                        'median': median(vals), 'min': min(vals) if vals else None,
                        'max': max(vals) if vals else None, 'reps': len(mine),
                        'failed': len(failed),
                        'error': failed[-1]['error'] if failed else '',
                    })
    return out


def find(rows, bench, case, peer, metric):
    for r in rows:
        if (r['bench'], r['case'], r['peer'], r['metric']) == (bench, case, peer, metric):
            return r['median']
    return None


# (bench, metric, case filter, peer, against, op, factor, text)
FLOORS = [
    ('B3', 'rate', lambda c: c['conns'] >= 500, 'ringlet', 'native', '>=', 2.0,
     'B3 ringlet >= 2x native from 500 connections'),
    ('B3', 'rate', lambda c: c['conns'] >= 100, 'ringlet', 'epoll', '>=', 0.9,
     'B3 ringlet >= 0.9x epoll from 100 connections'),
    ('B3', 'rate', lambda c: c['conns'] == 1000, 'ringlet', 'go1', '>=', 1.2,
     'B3 ringlet >= 1.2x Go (GOMAXPROCS=1) at 1,000 connections'),
    ('B4', 'p99_us', lambda c: c['load'] == 80, 'ringlet', 'native', '<=', 0.5,
     'B4 ringlet p99 <= 0.5x native at 80% load'),
    ('B6', 'total_kib_per_conn', lambda c: True, 'ringlet', 'native', '<=', 1 / 3,
     'B6 ringlet memory per connection <= 1/3 native'),
    ('B1', 'park_ns', lambda c: True, 'runtime', 'runtime:bare_ns', '<=', 3.0,
     'B1 park/unpark <= 3x bare switch'),
]


def floors(benches, mode, rows, peers=('ringlet', 'ringlet-shared')):
    """[{text, case, peer, ratio, factor, op, met}] for every floor case."""
    out = []
    for bench, metric, want, peer, against, op, factor, text in FLOORS:
        b = next((x for x in benches if x.id == bench), None)
        if not b:
            continue
        for case in b.cases(mode):
            if not want(case):
                continue
            cn = case_name(case)
            for p in ([peer] if peer == 'runtime' else peers):
                a = find(rows, bench, cn, p, metric)
                if ':' in against:
                    ap, am = against.split(':')
                    ref = find(rows, bench, cn, ap, am)
                else:
                    ref = find(rows, bench, cn, against, metric)
                ratio = a / ref if a is not None and ref else None
                met = ratio is not None and (ratio >= factor if op == '>=' else ratio <= factor)
                out.append({'text': text, 'case': cn, 'peer': p, 'ratio': ratio, 'factor': factor,
                            'op': op, 'met': met, 'binding': p == peer})
    return out


def write_csv(path, rows):
    keys = ['bench', 'case', 'peer', 'metric', 'unit', 'median', 'min', 'max', 'reps', 'failed', 'error']
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction='ignore')
        w.writeheader()
        for r in rows:
            w.writerow({k: ('' if r[k] is None else r[k]) for k in keys})


def write_json(path, machine, settings, rows, runs, fl):
    with open(path, 'w') as f:
        json.dump({'machine': machine, 'settings': settings, 'rows': rows, 'runs': runs, 'floors': fl},
                  f, indent=1, default=str)


def fmt(x):
    if x is None:
        return '-'
    if abs(x) >= 1000:
        return '{:,.0f}'.format(x)
    if abs(x) >= 100:
        return '%.0f' % x
    if abs(x) >= 10:
        return '%.1f' % x
    return '%.2f' % x


def table(benches, mode, rows):
    """Text: one block per benchmark, a line per case x metric, a column per peer."""
    lines = []
    for b in benches:
        lines.append('')
        lines.append('%s  %s' % (b.id, b.title))
        head = ['case', 'metric'] + b.peers
        body = []
        for case in b.cases(mode):
            cn = case_name(case)
            metrics = []
            for p in b.peers:
                for m, u, _ in b.metrics(p):
                    if (m, u) not in metrics:
                        metrics.append((m, u))
            for m, u in metrics:
                cells = []
                for p in b.peers:
                    r = next((r for r in rows if (r['bench'], r['case'], r['peer'], r['metric'])
                              == (b.id, cn, p, m)), None)
                    cells.append('' if r is None else 'FAILED' if r['median'] is None else fmt(r['median']))
                body.append([cn, '%s (%s)' % (m, u)] + cells)
        widths = [max(len(str(x[i])) for x in [head] + body) for i in range(len(head))]
        for line in [head] + body:
            lines.append('  '.join(str(x).rjust(w) if i > 1 else str(x).ljust(w)
                                   for i, (x, w) in enumerate(zip(line, widths))))
    return '\n'.join(lines)


def floor_lines(fl):
    out = []
    for f in fl:
        r = '-' if f['ratio'] is None else '%.2f' % f['ratio']
        state = 'met' if f['met'] else 'NOT MET'
        tag = '' if f['binding'] else '  (informational)'
        out.append('%-58s %-22s %-15s %6s  %s %.2f  %s%s' % (f['text'], f['case'], f['peer'], r, f['op'],
                                                              f['factor'], state, tag))
    return '\n'.join(out)
