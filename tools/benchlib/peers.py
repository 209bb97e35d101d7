"""The peers: servers the suite measures side by side, how each is started
(pinned to CPU 0), how its port is learned, sampled and stopped."""
import os
import select
import signal
import socket
import subprocess
import time

# name: (label, what it is). Each benchmark lists which of these it runs.
PEERS = {
    'native': 'thread per connection, kernel threads',
    'ringlet': 'the same binary under ringlet (defaults)',
    'ringlet-shared': 'under ringlet, RINGLET_TLS=shared',
    'epoll': 'hand-written single-threaded epoll',
    'uring': 'hand-written io_uring',
    'nginx': 'nginx-light, one worker',
    'go1': 'goroutine per connection, GOMAXPROCS=1',
    'go': 'goroutine per connection, GOMAXPROCS default',
}
ECHO_PEERS = ['native', 'ringlet', 'ringlet-shared', 'epoll', 'uring', 'go1', 'go']
HTTP_PEERS = ['native', 'ringlet', 'ringlet-shared', 'nginx', 'go1', 'go']
# What a peer needs that may be missing (Env.missing keys).
NEEDS = {'go1': 'go', 'go': 'go', 'nginx': 'nginx'}


class PeerError(Exception):
    pass


def prefix(env, peer):
    """The command prefix that runs a program as `peer` (environment aside)."""
    if peer.startswith('ringlet'):
        return env.ringlet()
    return []


def peer_env(peer):
    e = dict(os.environ)
    e.pop('GOMAXPROCS', None)
    if peer == 'ringlet-shared':
        e['RINGLET_TLS'] = 'shared'
    if peer == 'go1':
        e['GOMAXPROCS'] = '1'
    return e


def command(env, peer, kind, http_file=None):
    """The server command for an echo or http peer."""
    if kind == 'echo':
        prog = {'epoll': 'echo_epoll', 'uring': 'echo_uring', 'go1': 'echo_go',
                'go': 'echo_go'}.get(peer, 'echo_server')
        return prefix(env, peer) + [env.prog(prog)]
    prog = 'http_go' if peer in ('go1', 'go') else 'http_server'
    return prefix(env, peer) + [env.prog(prog), '--file', http_file]


def tree(pid):
    """pid and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open('/proc/%d/task/%d/children' % (p, p)) as f:
                todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def sample(pid):
    """(OS threads, VmRSS KiB) of a process tree."""
    threads = rss = 0
    for p in tree(pid):
        try:
            with open('/proc/%d/status' % p) as f:
                for line in f:
                    if line.startswith('Threads:'):
                        threads += int(line.split()[1])
                    elif line.startswith('VmRSS:'):
                        rss += int(line.split()[1])
        except OSError:
            pass
    return threads, rss


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One server peer, running, pinned to CPU 0."""

    def __init__(self, env, peer, kind, work, http_file=None):
        self.peer, self.kind = peer, kind
        if NEEDS.get(peer) in env.missing:
            raise PeerError(env.missing[NEEDS[peer]])
        self.err = open(os.path.join(work, 'server.err'), 'w+')
        if peer == 'nginx':
            self._start_nginx(env, work, http_file)
        else:
            cmd = env.pin_server + command(env, peer, kind, http_file)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err,
                                         env=peer_env(peer), start_new_session=True)
            self.port = self._read_port()
        self.pid = self.proc.pid

    def _read_port(self):
        deadline = time.time() + 10
        buf = b''
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 256)
                if not chunk:
                    break
                buf += chunk
                if b'\n' in buf:
                    words = buf.split(b'\n')[0].split()
                    if len(words) == 2 and words[0] == b'port':
                        return int(words[1])
                    break
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise PeerError('%s server did not print its port: %s' % (self.peer, self.stderr()))

    def _start_nginx(self, env, work, http_file):
        from .env import REPO
        self.port = free_port()
        d = os.path.join(work, 'nginx')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(REPO, 'tools/load/nginx.conf.in')) as f:
            conf = f.read().replace('@DIR@', d).replace('@PORT@', str(self.port)).replace('@FILE@', http_file)
        path = os.path.join(d, 'nginx.conf')
        with open(path, 'w') as f:
            f.write(conf)
        self.proc = subprocess.Popen(env.pin_server + ['/usr/sbin/nginx', '-c', path, '-p', d],
                                     stdout=subprocess.DEVNULL, stderr=self.err, start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise PeerError('nginx did not start: %s' % self.stderr())

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        lines = [l.strip() for l in self.err.read().splitlines() if l.strip()]
        return ' / '.join(lines[:3]) or 'nothing on stderr'

    def alive(self):
        return self.proc.poll() is None

    def sample(self):
        return sample(self.pid)

    def stop(self):
        """Stops the server; returns None, or why it had died before."""
        died = None
        if self.proc.poll() is not None:
            died = '%s server died (exit %s): %s' % (self.peer, self.proc.returncode, self.stderr())
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if self.proc.stdout:
            self.proc.stdout.close()
        self.err.close()
        return died
