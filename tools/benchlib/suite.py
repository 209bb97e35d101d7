"""The benchmarks B1-B8 (issue 5): for each, its cases in quick and full
mode, the peers it runs, the metrics each peer reports, and one run."""
import os
import signal
import subprocess
import time

from . import clients
from .clients import RunError
from .env import meminfo
from .peers import ECHO_PEERS, HTTP_PEERS, NEEDS, Server

HIGHER, LOWER = 'higher', 'lower'


class Ctx:
    """What a run needs: the environment, a scratch directory, the mode's
    durations, and results already measured (B4 reads B3's epoll peak)."""

    def __init__(self, env, work, mode, seconds, warmup):
        self.env, self.work, self.mode = env, work, mode
        self.seconds, self.warmup = seconds, warmup
        self.peaks = {}
        self.http_file = os.path.join(work, 'file4k')
        with open(self.http_file, 'wb') as f:
            f.write(bytes((i * 31 + 7) % 256 for i in range(4096)))

    def limit(self, extra=60):
        return self.seconds + self.warmup + extra


def needs(ctx, peer):
    if NEEDS.get(peer) in ctx.env.missing:
        raise RunError(ctx.env.missing[NEEDS[peer]])


# ---- B1: switch and park/unpark ----------------------------------------
B1_METRICS = {
    'runtime': [('bare_ns', 'ns'), ('fiber_ns', 'ns'), ('park_ns', 'ns'),
                ('fiber_tls_ns', 'ns'), ('park_tls_ns', 'ns'),
                ('fiber_copy_ns', 'ns'), ('park_copy_ns', 'ns')],
    'native': [('handoff_ns', 'ns')],
    'ringlet': [('handoff_ns', 'ns')],
    'ringlet-shared': [('handoff_ns', 'ns')],
    'go1': [('gosched_ns', 'ns'), ('park_unpark_ns', 'ns')],
}


def b1(ctx, case, peer):
    smoke = ctx.mode == 'smoke'
    rounds = ['--rounds', '2000'] if smoke else []
    if peer == 'runtime':
        out = clients.program(ctx.env, 'native', 'switch_cost', rounds, 300)
        return {k: out.get(k) if isinstance(out.get(k), float) else None for k, _ in B1_METRICS[peer]}
    if peer == 'go1':
        needs(ctx, peer)
        rounds = ['--rounds', '20000'] if smoke else []
        a = clients.program(ctx.env, peer, 'micro_go', ['gosched'] + rounds, 120)
        b = clients.program(ctx.env, peer, 'micro_go', ['chanpingpong'] + rounds, 120)
        return {'gosched_ns': a['gosched_ns'], 'park_unpark_ns': b['park_unpark_ns']}
    return clients.program(ctx.env, peer, 'sem_pingpong', rounds, 300)


# ---- B2: spawn + join ---------------------------------------------------
def b2(ctx, case, peer):
    d = '%g' % ctx.seconds
    if peer in ('go1', 'go'):
        needs(ctx, peer)
        return clients.program(ctx.env, peer, 'micro_go', ['spawn', '--seconds', d], ctx.limit())
    return clients.program(ctx.env, peer, 'spawn_join', ['--seconds', d], ctx.limit())


# ---- B3: closed-loop echo -------------------------------------------------
def echo_case(ctx, peer, conns, size, seconds=None):
    seconds = seconds or ctx.seconds
    srv = Server(ctx.env, peer, 'echo', ctx.work)
    try:
        out = clients.client(ctx.env, srv, 'echo_load',
                             ['--conns', str(conns), '--size', str(size), '--seconds', '%g' % seconds,
                              '--warmup', '%g' % ctx.warmup, '--timeout', '20'],
                             ctx.limit(120 + conns / 200))
    finally:
        died = srv.stop()
    if died:
        raise RunError(died)
    if out.get('errors'):
        raise RunError('echo_load reported errors')
    return out


def b3(ctx, case, peer):
    out = echo_case(ctx, peer, case['conns'], case['size'])
    if case['size'] == 64 and case['conns'] == b4_conns(ctx):
        ctx.peaks.setdefault(peer, []).append(out['rate'])
    return {'rate': out['rate'], 'os_threads': out['os_threads'], 'rss_kib': out['rss_kib']}


# ---- B4: open-loop tail latency --------------------------------------------
B4_CONNS = 1000


def b4_conns(ctx):
    return 20 if ctx.mode == 'smoke' else B4_CONNS


def epoll_peak(ctx):
    """The epoll peer's closed-loop rate at 1,000 connections x 64 B in this
    run (B3's median), measured now if B3 did not run."""
    rates = ctx.peaks.get('epoll')
    if not rates:
        rates = [echo_case(ctx, 'epoll', b4_conns(ctx), 64)['rate']]
        ctx.peaks['epoll'] = rates
    rates = sorted(rates)
    return rates[len(rates) // 2]


def b4(ctx, case, peer):
    rate = epoll_peak(ctx) * case['load'] / 100
    srv = Server(ctx.env, peer, 'echo', ctx.work)
    try:
        out = clients.client(ctx.env, srv, 'echo_openloop',
                             ['--conns', str(b4_conns(ctx)), '--size', '64', '--rate', '%.0f' % rate,
                              '--seconds', '%g' % ctx.seconds, '--warmup', '%g' % (ctx.warmup if ctx.mode == 'smoke' else max(ctx.warmup, 1))],
                             ctx.limit(120))
    finally:
        died = srv.stop()
    if died:
        raise RunError(died)
    return {'p50_us': out['p50_us'], 'p99_us': out['p99_us'], 'p999_us': out['p999_us'],
            'achieved': out['achieved'], 'offered': rate}


# ---- B5: HTTP keep-alive ---------------------------------------------------
def b5(ctx, case, peer):
    if 'wrk' in ctx.env.missing:
        raise RunError(ctx.env.missing['wrk'])
    srv = Server(ctx.env, peer, 'http', ctx.work, ctx.http_file)
    try:
        out = clients.wrk(ctx.env, srv.port, case['conns'], case['path'], ctx.seconds, ctx.limit(60))
        if not srv.alive():
            raise RunError('the server died during the run: %s' % srv.stderr())
    finally:
        died = srv.stop()
    if died:
        raise RunError(died)
    return {'rate': out['rate'], 'p99_ms': out['p99_ms']}


# ---- B6: memory per idle connection -----------------------------------------
def kernel_kib():
    m = meminfo()
    return m['KernelStack'] + m['Slab'], m['PageTables']


def b6(ctx, case, peer):
    n = case['conns']
    subprocess.run(['sync'])
    srv = Server(ctx.env, peer, 'echo', ctx.work)
    hold = None
    try:
        time.sleep(0.3)
        _, rss0 = srv.sample()
        k0, pt0 = kernel_kib()
        hold = subprocess.Popen(ctx.env.pin_load + [ctx.env.prog('conn_hold'), '--port', str(srv.port),
                                                    '--conns', str(n)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = hold.stdout.readline()
        if not line.startswith('held='):
            hold.wait(5)
            raise RunError('conn_hold failed: %s' % (hold.stderr.read().strip()[:200] or 'no output'))
        time.sleep(1.0)  # let the server settle
        threads, rss1 = srv.sample()
        k1, pt1 = kernel_kib()
        if not srv.alive():
            raise RunError('the server died: %s' % srv.stderr())
    finally:
        if hold and hold.poll() is None:
            hold.send_signal(signal.SIGTERM)
            try:
                hold.wait(20)
            except subprocess.TimeoutExpired:
                hold.kill()
        died = srv.stop()
    if died:
        raise RunError(died)
    user = (rss1 - rss0) / n
    kern = (k1 - k0) / n
    return {'rss_kib_per_conn': user, 'kernel_kib_per_conn': kern, 'total_kib_per_conn': user + kern,
            'page_tables_kib_per_conn': (pt1 - pt0) / n, 'os_threads': threads}


# ---- B7: short-lived connections ---------------------------------------------
def b7(ctx, case, peer):
    srv = Server(ctx.env, peer, 'echo', ctx.work)
    try:
        out = clients.client(ctx.env, srv, 'conn_churn',
                             ['--concurrency', str(case['concurrency']), '--rounds', '3',
                              '--seconds', '%g' % ctx.seconds, '--warmup', '%g' % ctx.warmup],
                             ctx.limit(60))
    finally:
        died = srv.stop()
    if died:
        raise RunError(died)
    return {'rate': out['rate'], 'errors': out['errors']}


# ---- B8: system calls and switches per request ----------------------------------
def b8(ctx, case, peer):
    if 'perf' in ctx.env.missing:
        raise RunError(ctx.env.missing['perf'])
    conns, rounds = case['conns'], case['rounds']
    srv = Server(ctx.env, peer, 'echo', ctx.work)
    try:
        cpu0 = clients.cpu_seconds(srv.pid)
        perf = clients.PerfStat(srv.pid, ctx.work)
        try:
            clients.client(ctx.env, srv, 'echo_load', ['--conns', str(conns), '--size', '64',
                                                      '--rounds', str(rounds), '--timeout', '20'],
                           ctx.limit(120))
        finally:
            counts = perf.done()
        cpu = clients.cpu_seconds(srv.pid) - cpu0
    finally:
        died = srv.stop()
    if died:
        raise RunError(died)
    req = conns * rounds
    return {'syscalls_per_req': counts['raw_syscalls:sys_enter'] / req,
            'ctxsw_per_req': counts['context-switches'] / req,
            'cpu_us_per_req': cpu * 1e6 / req}


class Bench:
    def __init__(self, id, title, fn, peers, metrics, quick, full, reps=None):
        self.id, self.title, self.fn, self.peers = id, title, fn, peers
        self.metrics = metrics  # peer -> [(metric, unit, better)]
        self._cases = {'quick': quick, 'full': full}
        self.reps = reps  # None: the suite's; else fixed

    def cases(self, mode):
        """mode: quick, full, or smoke (quick's cases made tiny: a test that
        every benchmark, peer and row works, in seconds)."""
        if mode != 'smoke':
            return self._cases[mode]
        out = []
        for c in self._cases['quick']:
            c = {k: (min(v, SMOKE_CAP[k]) if k in SMOKE_CAP else v) for k, v in c.items()}
            if c not in out:
                out.append(c)
        return out[:2]


SMOKE_CAP = {'conns': 20, 'concurrency': 10, 'rounds': 5}


def same(metrics):
    return lambda peer: metrics


def grid(**axes):
    out = [{}]
    for k, vals in axes.items():
        out = [dict(c, **{k: v}) for c in out for v in vals]
    return out


BENCHES = [
    Bench('B1', 'fiber switch and park/unpark', b1, list(B1_METRICS),
          lambda p: [(m, u, LOWER) for m, u in B1_METRICS[p]],
          [{'what': 'handoff'}], [{'what': 'handoff'}]),
    Bench('B2', 'spawn + join', b2, ['native', 'ringlet', 'ringlet-shared', 'go1', 'go'],
          same([('rate', 'spawns/s', HIGHER)]), [{'what': 'spawn+join'}], [{'what': 'spawn+join'}]),
    Bench('B3', 'echo throughput, closed loop', b3, ECHO_PEERS,
          same([('rate', 'round trips/s', HIGHER), ('os_threads', 'threads', LOWER),
                ('rss_kib', 'KiB', LOWER)]),
          grid(size=[64], conns=[1, 100, 1000, 5000]) + [{'size': 4096, 'conns': 1000}],
          grid(size=[64, 4096], conns=[1, 10, 100, 1000, 5000, 15000])),
    Bench('B4', 'tail latency, open loop, 1,000 connections', b4, ECHO_PEERS,
          same([('p50_us', 'µs', LOWER), ('p99_us', 'µs', LOWER), ('p999_us', 'µs', LOWER),
                ('achieved', 'msg/s', HIGHER)]),
          grid(load=[25, 80]), grid(load=[25, 50, 80, 95])),
    Bench('B5', 'HTTP keep-alive (wrk)', b5, HTTP_PEERS,
          same([('rate', 'requests/s', HIGHER), ('p99_ms', 'ms', LOWER)]),
          grid(path=['/', '/file'], conns=[64]), grid(path=['/', '/file'], conns=[64, 256, 1000])),
    Bench('B6', 'memory per idle connection', b6, ECHO_PEERS,
          same([('total_kib_per_conn', 'KiB', LOWER), ('rss_kib_per_conn', 'KiB', LOWER),
                ('kernel_kib_per_conn', 'KiB', LOWER), ('page_tables_kib_per_conn', 'KiB', LOWER),
                ('os_threads', 'threads', LOWER)]),
          grid(conns=[5000]), grid(conns=[1000, 5000, 10000, 19000]), reps=1),
    Bench('B7', 'short-lived connections (connect, 3 echoes, close)', b7, ECHO_PEERS,
          same([('rate', 'connections/s', HIGHER)]),
          grid(concurrency=[100, 1000]), grid(concurrency=[100, 1000, 5000])),
    Bench('B8', 'system calls and context switches per request, 1,000 connections', b8, ECHO_PEERS,
          same([('syscalls_per_req', 'syscalls', LOWER), ('ctxsw_per_req', 'switches', LOWER),
                ('cpu_us_per_req', 'µs CPU', LOWER)]),
          grid(conns=[1000], rounds=[20]), grid(conns=[1000], rounds=[100]), reps=1),
]


def case_name(case):
    return ','.join('%s=%s' % kv for kv in case.items())
