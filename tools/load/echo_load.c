/* echo_load: a closed-loop load generator for TCP echo servers.
 *
 *   echo_load --port P [--host 127.0.0.1] --conns N --size S
 *             (--seconds D | --rounds R) [--warmup SEC]
 *             [--connect-parallel K] [--timeout SEC]
 *
 * One thread, one epoll set, non-blocking sockets: its concurrency does not
 * depend on threads, so it measures the server, not itself. Each of the N
 * connections sends an S-byte message, waits for the whole echo, verifies
 * every byte and sends the next one (closed loop).
 *
 * Connections are opened gradually: at most K (default 64) may be opened but
 * not yet have completed their first round trip, so a thread-per-connection
 * server's accept queue never overflows. Refused or failed connects are
 * retried a bounded number of times with a short backoff. A connection that
 * has completed its first round trip waits until all have, so the ramp-up
 * does not compete with the load (a threaded server's accept loop would
 * otherwise starve among thousands of busy threads).
 *
 * --seconds: once all N connections have completed a round trip, wait
 * --warmup seconds (default 1), then count the round trips completed during D
 * seconds; afterwards every connection finishes its message and closes.
 * --rounds: every connection does R round trips; the time counted runs from the
 * first connect to the last echo.
 *
 * Prints one line on stdout:
 *   conns=N size=S seconds=T round_trips=X rate=Y errors=E connect_seconds=C
 * (rate in round trips per second; connect_seconds is the time until all
 * connections had completed one round trip) and exits 1 on any byte mismatch,
 * connection failure or stall (no echo for --timeout seconds, default 10). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_PERIOD 251 /* prime, so shifted data never lines up */
#define READ_BUF (64 * 1024)
#define MAX_EVENTS 1024
#define MAX_CONNECT_ATTEMPTS 10

enum state { IDLE, BACKOFF, CONNECTING, RUNNING, DONE };

struct conn {
	int fd;
	enum state state;
	bool ready;         /* completed its first round trip */
	bool parked;        /* ready, waiting for the others to be ready */
	unsigned attempts;  /* connect attempts so far */
	uint32_t sent;      /* bytes of the current message written */
	uint32_t recvd;     /* bytes of the current message echoed */
	uint32_t off;       /* where the current message starts in pattern */
	uint64_t msg;       /* number of the current message */
	double retry_at;    /* BACKOFF: when to connect again */
};

static struct {
	struct sockaddr_in addr;
	const char *host;
	long conns, size, rounds, parallel;
	double seconds, warmup, timeout;
} opt = { .host = "127.0.0.1", .conns = 1, .size = 64, .parallel = 64,
	  .warmup = -1, .timeout = 10 };

static struct conn *conns;
static unsigned char *pattern;
static unsigned char rbuf[READ_BUF];
static int ep;

static uint64_t total_rt;   /* round trips completed, ever */
static long n_ready;        /* connections that completed a round trip */
static long n_opening;      /* opened but not yet ready */
static long n_backoff;      /* waiting to retry a connect */
static long n_done;         /* finished and closed */
static bool stopping;       /* --seconds: the window is over */
static double now, t_start, t_ready = -1, last_progress;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void summary(double seconds, uint64_t rt, int errors)
{
	printf("conns=%ld size=%ld seconds=%.3f round_trips=%llu rate=%.1f "
	       "errors=%d connect_seconds=%.3f\n",
	       opt.conns, opt.size, seconds, (unsigned long long)rt,
	       seconds > 0 ? (double)rt / seconds : 0.0, errors,
	       t_ready >= 0 ? t_ready - t_start : -1.0);
	fflush(stdout);
}

/* A failure the run cannot survive: say why, print the summary, exit 1. */
static void fail(const char *fmt, ...)
{
	va_list ap;
	fputs("echo_load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	summary(now - t_start, total_rt, 1);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: echo_load --port P [--host 127.0.0.1] --conns N --size S\n"
		"                 (--seconds D | --rounds R) [--warmup SEC]\n"
		"                 [--connect-parallel K] [--timeout SEC]\n");
	exit(2);
}

static double num_arg(const char *name, const char *s, double min, double max)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end || v < min || v > max) {
		fprintf(stderr, "echo_load: bad value for %s: %s\n", name, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	long port = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--port") == 0)
			port = (long)num_arg(a, v, 1, 65535);
		else if (strcmp(a, "--host") == 0)
			opt.host = v;
		else if (strcmp(a, "--conns") == 0)
			opt.conns = (long)num_arg(a, v, 1, 1000000);
		else if (strcmp(a, "--size") == 0)
			opt.size = (long)num_arg(a, v, 1, 1 << 30);
		else if (strcmp(a, "--seconds") == 0)
			opt.seconds = num_arg(a, v, 0.001, 1e6);
		else if (strcmp(a, "--rounds") == 0)
			opt.rounds = (long)num_arg(a, v, 1, 1e15);
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = num_arg(a, v, 0, 1e6);
		else if (strcmp(a, "--connect-parallel") == 0)
			opt.parallel = (long)num_arg(a, v, 1, 1000000);
		else if (strcmp(a, "--timeout") == 0)
			opt.timeout = num_arg(a, v, 0.1, 1e6);
		else
			usage();
	}
	if (port < 0 || (opt.seconds > 0) == (opt.rounds > 0))
		usage();
	if (opt.warmup < 0)
		opt.warmup = opt.seconds > 0 ? 1.0 : 0.0;

	memset(&opt.addr, 0, sizeof opt.addr);
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, opt.host, &opt.addr.sin_addr) != 1) {
		fprintf(stderr, "echo_load: --host wants an IPv4 address: %s\n",
			opt.host);
		exit(2);
	}
}

/* Each connection needs a descriptor; raise the soft limit if we must. */
static void ensure_fd_limit(void)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)opt.conns + 32;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr,
			"echo_load: %ld connections need %llu file descriptors; "
			"the hard limit is %llu (raise it: ulimit -Hn)\n",
			opt.conns, (unsigned long long)need,
			(unsigned long long)rl.rlim_max);
		exit(1);
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("echo_load: setrlimit(RLIMIT_NOFILE)");
		exit(1);
	}
}

static long index_of(struct conn *c) { return c - conns; }

static void do_write(struct conn *c)
{
	while (c->sent < (uint32_t)opt.size) {
		ssize_t n = write(c->fd, pattern + c->off + c->sent,
				  (size_t)opt.size - c->sent);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return; /* EPOLLOUT will tell us */
			fail("connection %ld, message %llu: write: %s",
			     index_of(c), (unsigned long long)c->msg,
			     strerror(errno));
		}
		c->sent += (uint32_t)n;
	}
}

static void start_message(struct conn *c)
{
	c->sent = c->recvd = 0;
	c->off = (uint32_t)(((uint64_t)index_of(c) * 7 + c->msg) %
			    PATTERN_PERIOD);
	do_write(c);
}

static void finish(struct conn *c)
{
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = DONE;
	n_done++;
}

static void complete_message(struct conn *c)
{
	total_rt++;
	c->msg++;
	if (!c->ready) {
		c->ready = true;
		n_ready++;
		n_opening--;
	}
	if (stopping || (opt.rounds > 0 && c->msg >= (uint64_t)opt.rounds))
		finish(c);
	else if (n_ready < opt.conns)
		c->parked = true; /* the load starts once all are connected */
	else
		start_message(c);
}

/* All connections are ready: start the load on the ones that wait. */
static void release_parked(void)
{
	for (long i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];
		if (c->parked && c->state == RUNNING) {
			c->parked = false;
			start_message(c);
		}
	}
}

static void report_mismatch(struct conn *c, const unsigned char *got, size_t n)
{
	const unsigned char *want = pattern + c->off + c->recvd;
	size_t i = 0;
	while (i < n && got[i] == want[i])
		i++;
	fail("connection %ld, message %llu: byte %u of %ld is 0x%02x, "
	     "expected 0x%02x",
	     index_of(c), (unsigned long long)c->msg, c->recvd + (unsigned)i,
	     opt.size, got[i], want[i]);
}

static void do_read(struct conn *c)
{
	while (c->recvd < (uint32_t)opt.size) {
		size_t want = (size_t)opt.size - c->recvd;
		if (want > sizeof rbuf)
			want = sizeof rbuf;
		ssize_t n = read(c->fd, rbuf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			fail("connection %ld, message %llu: read: %s",
			     index_of(c), (unsigned long long)c->msg,
			     strerror(errno));
		}
		if (n == 0)
			fail("connection %ld, message %llu: the server closed "
			     "the connection after %u of %ld bytes",
			     index_of(c), (unsigned long long)c->msg, c->recvd,
			     opt.size);
		if (c->recvd + (uint32_t)n > c->sent)
			fail("connection %ld, message %llu: received %u bytes "
			     "but sent only %u",
			     index_of(c), (unsigned long long)c->msg,
			     c->recvd + (uint32_t)n, c->sent);
		if (memcmp(rbuf, pattern + c->off + c->recvd, (size_t)n) != 0)
			report_mismatch(c, rbuf, (size_t)n);
		c->recvd += (uint32_t)n;
		last_progress = now;
		if (c->recvd == (uint32_t)opt.size) {
			complete_message(c);
			return; /* closed loop: nothing more until we write */
		}
		if ((size_t)n < want)
			return; /* drained; edge-triggered epoll wakes us */
	}
}

static void retry_later(struct conn *c, int err)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->attempts >= MAX_CONNECT_ATTEMPTS)
		fail("connection %ld to %s:%d failed %u times, last: %s%s",
		     index_of(c), opt.host, ntohs(opt.addr.sin_port),
		     c->attempts, strerror(err),
		     err == EADDRNOTAVAIL ? " (out of local ports?)" : "");
	double delay = 0.01 * (double)(1u << (c->attempts - 1));
	c->retry_at = now + (delay > 0.5 ? 0.5 : delay);
	c->state = BACKOFF;
	n_backoff++;
}

static void on_connected(struct conn *c)
{
	c->state = RUNNING;
	last_progress = now;
	start_message(c);
}

static void open_conn(struct conn *c)
{
	c->attempts++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			fail("socket: %s (%ld connections wanted; see ulimit -n)",
			     strerror(errno), opt.conns);
		fail("socket: %s", strerror(errno));
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = c,
	};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		fail("epoll_ctl: %s", strerror(errno));

	if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof opt.addr) == 0) {
		on_connected(c);
	} else if (errno == EINPROGRESS) {
		c->state = CONNECTING;
	} else {
		int err = errno;
		if (err == ECONNREFUSED || err == EAGAIN || err == EADDRNOTAVAIL ||
		    err == ETIMEDOUT || err == ECONNRESET || err == EINTR)
			retry_later(c, err);
		else
			fail("connect to %s:%d: %s", opt.host,
			     ntohs(opt.addr.sin_port), strerror(err));
	}
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0)
			retry_later(c, err);
		else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			on_connected(c);
		return;
	}
	if (c->state != RUNNING)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		do_read(c);
	if (c->state == RUNNING && (events & EPOLLOUT) &&
	    c->sent < (uint32_t)opt.size)
		do_write(c);
}

/* Opens new connections up to the parallel limit and retries due ones. */
static void open_more(long *next)
{
	if (n_backoff > 0) {
		for (long i = 0; i < *next; i++) {
			struct conn *c = &conns[i];
			if (c->state == BACKOFF && c->retry_at <= now) {
				n_backoff--;
				open_conn(c);
			}
		}
	}
	while (*next < opt.conns && n_opening < opt.parallel) {
		n_opening++;
		open_conn(&conns[(*next)++]);
	}
}

static void check_stall(void)
{
	if (now - last_progress <= opt.timeout)
		return;
	long connecting = 0, waiting = 0;
	for (long i = 0; i < opt.conns; i++) {
		if (conns[i].state == CONNECTING || conns[i].state == BACKOFF)
			connecting++;
		else if (conns[i].state == RUNNING && !conns[i].parked)
			waiting++;
	}
	fail("no progress for %.0f s: %ld of %ld connections established, "
	     "%ld still connecting, %ld waiting for an echo",
	     opt.timeout, n_ready, opt.conns, connecting, waiting);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	ensure_fd_limit();

	conns = calloc((size_t)opt.conns, sizeof *conns);
	pattern = malloc((size_t)opt.size + PATTERN_PERIOD);
	if (!conns || !pattern) {
		fprintf(stderr, "echo_load: out of memory\n");
		return 1;
	}
	for (long i = 0; i < opt.size + PATTERN_PERIOD; i++)
		pattern[i] = (unsigned char)(i % PATTERN_PERIOD);
	for (long i = 0; i < opt.conns; i++)
		conns[i].fd = -1;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("echo_load: epoll_create1");
		return 1;
	}

	static struct epoll_event evs[MAX_EVENTS];
	long next = 0;
	uint64_t base = 0;
	double t_window = -1, t_end = -1;
	now = t_start = last_progress = mono();

	for (;;) {
		open_more(&next);

		int timeout_ms = 100;
		double deadline = -1;
		if (t_ready >= 0 && t_window < 0)
			deadline = t_ready + opt.warmup;
		else if (t_window >= 0 && !stopping)
			deadline = t_window + opt.seconds;
		if (deadline >= 0) {
			double ms = (deadline - now) * 1e3 + 0.999;
			timeout_ms = ms < 0 ? 0 : ms < 100 ? (int)ms : 100;
		}
		if (n_backoff > 0 && timeout_ms > 10)
			timeout_ms = 10;

		int n = epoll_wait(ep, evs, MAX_EVENTS, timeout_ms);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		now = mono();
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);

		if (t_ready < 0 && n_ready == opt.conns) {
			t_ready = now;
			release_parked();
		}
		if (opt.rounds > 0) {
			if (n_done == opt.conns) {
				t_end = now;
				base = 0;
				t_window = t_start;
				break;
			}
		} else if (t_window < 0) {
			if (t_ready >= 0 && now >= t_ready + opt.warmup) {
				t_window = now;
				base = total_rt;
			}
		} else if (!stopping && now >= t_window + opt.seconds) {
			t_end = now;
			base = total_rt - base; /* round trips in the window */
			stopping = true;
			/* let every connection finish its message, then close */
		} else if (stopping && n_done == opt.conns) {
			break;
		}
		check_stall();
	}

	uint64_t rt = opt.rounds > 0 ? total_rt : base;
	summary(t_end - t_window, rt, 0);
	return 0;
}
