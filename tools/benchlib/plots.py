"""PNG plots of a run (matplotlib, Agg): one per benchmark, error bars from
the minimum to the maximum of the repetitions."""
import os

COLORS = {'native': '#d62728', 'ringlet': '#1f77b4', 'ringlet-shared': '#17becf', 'epoll': '#2ca02c',
          'uring': '#9467bd', 'nginx': '#8c564b', 'go1': '#ff7f0e', 'go': '#e6a700', 'runtime': '#1f77b4'}


def _get(rows, bench, metric):
    return [r for r in rows if r['bench'] == bench and r['metric'] == metric]


def _case(r, key):
    for kv in r['case'].split(','):
        k, v = kv.split('=', 1)
        if k == key:
            return v
    return None


def _lines(ax, rows, bench, metric, xkey, peers, where=None):
    for p in peers:
        pts = []
        for r in _get(rows, bench, metric):
            if r['peer'] != p or r['median'] is None or (where and not where(r)):
                continue
            pts.append((float(_case(r, xkey)), r['median'], r['min'], r['max']))
        if not pts:
            continue
        pts.sort()
        xs, ys = [a[0] for a in pts], [a[1] for a in pts]
        err = [[a[1] - a[2] for a in pts], [a[3] - a[1] for a in pts]]
        ax.errorbar(xs, ys, yerr=err, marker='o', capsize=3, label=p, color=COLORS.get(p))


def _bars(ax, groups, peers, values):
    """values[(group, peer)] = (median, min, max)."""
    import numpy as np
    w = 0.8 / max(1, len(peers))
    x = np.arange(len(groups))
    for i, p in enumerate(peers):
        med = [values.get((g, p), (0, 0, 0))[0] or 0 for g in groups]
        lo = [m - (values.get((g, p), (0, 0, 0))[1] or m) for g, m in zip(groups, med)]
        hi = [(values.get((g, p), (0, 0, 0))[2] or m) - m for g, m in zip(groups, med)]
        ax.bar(x + i * w - 0.4 + w / 2, med, w, yerr=[lo, hi], capsize=2, label=p, color=COLORS.get(p))
    ax.set_xticks(x)
    ax.set_xticklabels(groups)


def plot_all(benches, rows, outdir):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return 'matplotlib is not installed (apt-get install python3-matplotlib): no plots'
    os.makedirs(outdir, exist_ok=True)
    ids = {b.id: b for b in benches}
    made = []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, name), dpi=110)
        plt.close(fig)
        made.append(name)

    if 'B1' in ids:
        fig, ax = plt.subplots(figsize=(8, 4))
        labels, vals = [], []
        for r in [r for r in rows if r['bench'] == 'B1']:
            if r['median'] is not None:
                labels.append('%s %s' % (r['peer'], r['metric']))
                vals.append(r['median'])
        ax.barh(labels, vals, color='#1f77b4')
        ax.set_xscale('log')
        ax.set_xlabel('ns per switch or handoff (log)')
        ax.set_title('B1 switch and park/unpark')
        save(fig, 'b1_switch.png')
    if 'B2' in ids:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        rs = [r for r in _get(rows, 'B2', 'rate') if r['median'] is not None]
        ax.bar([r['peer'] for r in rs], [r['median'] for r in rs],
               color=[COLORS.get(r['peer']) for r in rs])
        ax.set_ylabel('spawn + join per second')
        ax.set_title('B2 spawn + join')
        save(fig, 'b2_spawn.png')
    if 'B3' in ids:
        sizes = sorted({int(_case(r, 'size')) for r in _get(rows, 'B3', 'rate')})
        fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.2), squeeze=False)
        for ax, size in zip(axes[0], sizes):
            _lines(ax, rows, 'B3', 'rate', 'conns', ids['B3'].peers, lambda r: int(_case(r, 'size')) == size)
            ax.set_xscale('log')
            ax.set_xlabel('connections')
            ax.set_ylabel('round trips/s')
            ax.set_title('B3 echo, %d-byte messages' % size)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        save(fig, 'b3_echo.png')
    if 'B4' in ids:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
        for ax, m in zip(axes, ('p99_us', 'p50_us')):
            _lines(ax, rows, 'B4', m, 'load', ids['B4'].peers)
            ax.set_yscale('log')
            ax.set_xlabel('offered load, % of the epoll peak')
            ax.set_ylabel('%s latency, µs (log)' % m[:3])
            ax.set_title('B4 open loop, 1,000 connections: %s' % m[:3])
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        save(fig, 'b4_latency.png')
    if 'B5' in ids:
        rs = _get(rows, 'B5', 'rate')
        groups = []
        for r in rs:
            g = '%s c=%s' % (_case(r, 'path'), _case(r, 'conns'))
            if g not in groups:
                groups.append(g)
        vals = {('%s c=%s' % (_case(r, 'path'), _case(r, 'conns')), r['peer']): (r['median'], r['min'], r['max'])
                for r in rs}
        fig, ax = plt.subplots(figsize=(10, 4.2))
        _bars(ax, groups, ids['B5'].peers, vals)
        ax.set_ylabel('requests/s')
        ax.set_title('B5 HTTP keep-alive (wrk)')
        ax.legend(fontsize=8)
        save(fig, 'b5_http.png')
    for bid, metric, xkey, ylabel, title, name in (
            ('B6', 'total_kib_per_conn', 'conns', 'KiB per connection (server RSS + kernel)',
             'B6 memory per idle connection', 'b6_memory.png'),
            ('B7', 'rate', 'concurrency', 'connections/s', 'B7 short-lived connections', 'b7_churn.png')):
        if bid in ids:
            fig, ax = plt.subplots(figsize=(7, 4.2))
            _lines(ax, rows, bid, metric, xkey, ids[bid].peers)
            ax.set_xscale('log')
            ax.set_xlabel(xkey)
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            save(fig, name)
    if 'B8' in ids:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        for ax, (m, label) in zip(axes, (('syscalls_per_req', 'system calls per request'),
                                         ('ctxsw_per_req', 'context switches per request'),
                                         ('cpu_us_per_req', 'server CPU µs per request'))):
            rs = [r for r in _get(rows, 'B8', m) if r['median'] is not None]
            ax.bar([r['peer'] for r in rs], [r['median'] for r in rs], color=[COLORS.get(r['peer']) for r in rs])
            ax.set_title(label)
            ax.tick_params(axis='x', rotation=45)
        save(fig, 'b8_syscalls.png')
    return made
