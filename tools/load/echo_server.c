/* echo_server: a plain thread-per-connection TCP echo server, written the way
 * servers were written in 1998. It knows nothing of ringlet: main() accepts in
 * a blocking loop and hands every connection to a detached pthread (default
 * attributes) that does blocking read()/write() until EOF.
 *
 *   echo_server [--port P] [--bind ADDR]
 *
 * Listens on ADDR:P (default 127.0.0.1, port 0 = ephemeral), prints
 * "port N" on stdout once listening, and runs until SIGTERM or SIGINT, then
 * exits 0. Used by tools/demo and tools/bench, natively and under ringlet. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define BUF_SIZE 4096

static void usage(void)
{
	fprintf(stderr, "usage: echo_server [--port P] [--bind ADDR]\n");
	exit(2);
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* Writes all of buf, as the kernel lets us. Returns 0, or -1 on error. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[BUF_SIZE];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF, or the peer reset the connection */
		if (write_all(fd, buf, (size_t)n) < 0)
			break;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	long port = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			char *end;
			port = strtol(argv[++i], &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
		} else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
			bind_addr = argv[++i];
		} else {
			usage();
		}
	}

	int lfd = serve_listen("echo_server", bind_addr, port, 0, on_signal);
	return serve_threads("echo_server", lfd, serve);
}
