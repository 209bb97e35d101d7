"""Running the load generators (pinned to CPU 1) and the single-process
programs, each with a time limit; every failure becomes a RunError with the
reason, which the suite records in the row."""
import os
import re
import signal
import subprocess
import threading
import time

from .peers import peer_env, prefix


class RunError(Exception):
    pass


def fields(line):
    """'k=v k=v' -> dict (numbers as float where they parse)."""
    out = {}
    for kv in line.split():
        if '=' in kv:
            k, v = kv.split('=', 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def run(cmd, limit, env=None, what=None):
    """Runs cmd; returns the key=value fields of its last stdout line."""
    what = what or os.path.basename(cmd[0])
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        raise RunError('%s timed out after %.0f s' % (what, limit))
    lines = r.stdout.strip().splitlines()
    if r.returncode or not lines:
        err = ' / '.join(r.stderr.strip().splitlines()[:2]) or 'no output'
        raise RunError('%s failed (exit %d): %s' % (what, r.returncode, err))
    return fields(lines[-1])


def program(env, peer, name, args, limit, pin=True):
    """A single-process benchmark program, natively or under ringlet, on CPU 0."""
    cmd = (env.pin_server if pin else []) + prefix(env, peer) + [env.prog(name)] + list(args)
    return run(cmd, limit, env=peer_env(peer), what='%s (%s)' % (name, peer))


class Sampler:
    """Samples a server's OS threads and resident memory while a client runs."""

    def __init__(self, server, every=0.2):
        self.server, self.every = server, every
        self.threads = self.rss = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            t, r = self.server.sample()
            self.threads, self.rss = max(self.threads, t), max(self.rss, r)
            self._stop.wait(self.every)

    def done(self):
        self._stop.set()
        self._t.join()


def client(env, server, name, args, limit):
    """A load generator on CPU 1 against `server`; the server must survive."""
    cmd = env.pin_load + [env.prog(name), '--port', str(server.port)] + list(args)
    s = Sampler(server)
    try:
        out = run(cmd, limit, what=name)
    finally:
        s.done()
    if not server.alive():
        raise RunError('the server died during the run: %s' % server.stderr())
    out['os_threads'], out['rss_kib'] = s.threads, s.rss
    return out


class PerfStat:
    """perf stat on a process tree (inherits to threads started later)."""
    EVENTS = ('raw_syscalls:sys_enter', 'context-switches')

    def __init__(self, pid, work):
        self.path = os.path.join(work, 'perf.csv')
        self.proc = subprocess.Popen(['perf', 'stat', '-x,', '-o', self.path, '-e', ','.join(self.EVENTS),
                                      '-p', str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # attached

    def done(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise RunError('perf stat did not stop')
        counts = {}
        with open(self.path) as f:
            for line in f:
                parts = line.strip().split(',')
                if len(parts) > 2 and parts[2] in self.EVENTS:
                    try:
                        counts[parts[2]] = float(parts[0])
                    except ValueError:
                        raise RunError('perf stat could not count %s (%s)' % (parts[2], parts[0]))
        if len(counts) != len(self.EVENTS):
            raise RunError('perf stat printed no counts')
        return counts


def cpu_seconds(pid):
    """User + system CPU time of a process (its dead threads included)."""
    with open('/proc/%d/stat' % pid) as f:
        rest = f.read().rsplit(')', 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf('SC_CLK_TCK')


def wrk(env, port, conns, path, seconds, limit):
    """wrk on CPU 1: requests/s and p99 latency; fails on errors."""
    cmd = env.pin_load + ['wrk', '-t1', '-c%d' % conns, '-d%ds' % max(1, round(seconds)),
                          '--timeout', '10s', '--latency', 'http://127.0.0.1:%d%s' % (port, path)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        raise RunError('wrk timed out')
    out = r.stdout
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    if r.returncode or not m:
        raise RunError('wrk failed (exit %d): %s' % (r.returncode, (r.stderr or out).strip()[:200]))
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if bad:
        raise RunError('wrk: %s non-2xx responses' % bad.group(1))
    sock = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    errors = sum(int(x) for x in sock.groups()) if sock else 0
    p99 = re.search(r'^\s+99%\s+([\d.]+)(us|ms|s)\s*$', out, re.M)
    scale = {'us': 1e-3, 'ms': 1.0, 's': 1e3}
    return {'rate': float(m.group(1)), 'errors': errors,
            'p99_ms': float(p99.group(1)) * scale[p99.group(2)] if p99 else None}
