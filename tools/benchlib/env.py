"""The machine and the build: paths, building what the suite runs, the
Debian packages it needs, pinning, and what the machine was doing."""
import os
import platform
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Built by meson (tools/load) and by tools/load/go/build.sh.
C_TARGETS = ['tools/load/' + t for t in (
    'echo_server', 'echo_load', 'echo_epoll', 'echo_uring', 'echo_openloop',
    'http_server', 'conn_hold', 'conn_churn', 'sem_pingpong', 'switch_cost',
    'spawn_join')] + ['interpose/libringlet.so', 'tools/launcher/ringlet']
GO_BINARIES = ('echo_go', 'http_go', 'micro_go')
# Debian packages the suite needs beyond the build's (tools/deps).
PACKAGES = {'go': 'golang-go', 'wrk': 'wrk', 'nginx': 'nginx-light',
            'perf': 'linux-perf', 'plots': 'python3-matplotlib'}


def say(msg):
    print(msg, file=sys.stderr, flush=True)


class Env:
    def __init__(self, build_dir):
        self.build = os.path.abspath(build_dir)
        self.load = os.path.join(self.build, 'tools/load')
        self.go = os.path.join(self.build, 'tools/load/go')
        self.lib = os.path.join(self.build, 'interpose/libringlet.so')
        self.launcher = os.path.join(self.build, 'tools/launcher/ringlet')
        self.missing = {}  # what: why, for peers that cannot run
        two = shutil.which('taskset') and os.cpu_count() and os.cpu_count() >= 2
        self.pin_server = ['taskset', '-c', '0'] if two else []
        self.pin_load = ['taskset', '-c', '1'] if two else []

    def prog(self, name):
        return os.path.join(self.go if name in GO_BINARIES else self.load, name)

    def ringlet(self):
        return [self.launcher, '--']

    def install(self, build, want):
        """Installs missing Debian packages (tools/deps), then builds."""
        pkgs = [PACKAGES[w] for w in want if not have_package(PACKAGES[w])]
        if pkgs:
            r = subprocess.run([os.path.join(REPO, 'tools/deps')] + pkgs)
            if r.returncode:
                say('tools/bench: could not install %s; the peers that need them are '
                    'recorded as failures' % ' '.join(pkgs))
        if build:
            if not os.path.exists(os.path.join(self.build, 'build.ninja')):
                run_or_die(['meson', 'setup', self.build, REPO], 'meson setup')
            run_or_die(['ninja', '-C', self.build] + C_TARGETS, 'ninja')
            r = subprocess.run([os.path.join(REPO, 'tools/load/go/build.sh'), self.go],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode:
                self.missing['go'] = (r.stderr.strip().splitlines() or ['go build failed'])[-1]
        for what, tool in (('wrk', 'wrk'), ('nginx', '/usr/sbin/nginx'), ('perf', 'perf')):
            if not shutil.which(tool):
                self.missing[what] = '%s is not installed (apt-get install %s)' % (tool, PACKAGES[what])
        if 'go' not in self.missing:
            for b in GO_BINARIES:
                if not os.access(self.prog(b), os.X_OK):
                    self.missing['go'] = '%s is missing (tools/load/go/build.sh)' % self.prog(b)
        for t in C_TARGETS:
            if not os.path.exists(os.path.join(self.build, t)):
                sys.exit('tools/bench: %s is missing (build first, or drop --no-build)' % t)


def have_package(p):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', p], capture_output=True, text=True)
    return 'install ok installed' in r.stdout


def run_or_die(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write(r.stdout[-3000:] + r.stderr[-3000:])
        sys.exit('tools/bench: %s failed' % what)


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def meminfo():
    out = {}
    with open('/proc/meminfo') as f:
        for line in f:
            k, v = line.split(':', 1)
            out[k] = int(v.split()[0])
    return out


def machine():
    cpu = ''
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    libc = platform.libc_ver()
    go = ''
    if shutil.which('go'):
        go = subprocess.run(['go', 'version'], capture_output=True, text=True).stdout.strip()
    return {
        'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'),
        'kernel': platform.release(),
        'cpus': os.cpu_count(),
        'cpu': cpu,
        'memory_gib': round(meminfo()['MemTotal'] / 1048576, 1),
        'libc': '%s %s' % libc,
        'go': go,
        'loadavg_start': open('/proc/loadavg').read().split()[:3],
    }


def raise_fd_limit(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
