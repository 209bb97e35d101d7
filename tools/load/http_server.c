/* http_server: a plain thread-per-connection HTTP/1.1 server, the B5 peer of
 * issue 5, written the way an ordinary C programmer writes one. It knows
 * nothing of ringlet: main() accepts in a blocking loop and hands every
 * connection to a detached pthread (default attributes) that reads requests
 * with blocking read() and answers each with one writev(). tools/bench runs it
 * natively and under ringlet, next to nginx (tools/load/nginx.conf.in).
 *
 *   http_server [--port P] [--bind ADDR] --file PATH
 *
 *   GET /      200, "Hello from ringlet's benchmark\n" (text/plain)
 *   GET /file  200, the content of PATH, opened, read and closed on every
 *              request (application/octet-stream)
 *   GET other  404;  another method: 405 and the connection closes
 *
 * Keep-alive as HTTP/1.1 says (HTTP/1.0: only if the client asks for it),
 * "Connection: close" honoured, pipelined requests answered in order. A
 * request with a body is refused (400, close). Listens on ADDR:P (default
 * 127.0.0.1, port 0 = ephemeral), prints "port N" on stdout once listening,
 * and exits 0 on SIGTERM or SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define REQ_MAX 8192 /* a request's line and headers must fit in this */

static const char hello[] = "Hello from ringlet's benchmark\n";
static const char *file_path;

static void usage(void)
{
	fprintf(stderr, "usage: http_server [--port P] [--bind ADDR] --file PATH\n");
	exit(2);
}

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* Writes the header and the body with one writev, and again for whatever
 * the kernel did not take. Returns 0, or -1 on error. */
static int send_response(int fd, const char *status, const char *type, const char *body, size_t len,
			 const char *conn)
{
	char head[256];
	int hlen = snprintf(head, sizeof head,
			    "HTTP/1.1 %s\r\nServer: ringlet-bench\r\nContent-Type: %s\r\n"
			    "Content-Length: %zu\r\n%s\r\n",
			    status, type, len, conn);
	struct iovec iov[2] = {{head, (size_t)hlen}, {(void *)body, len}};
	struct iovec *v = iov;
	int cnt = len > 0 ? 2 : 1;

	while (cnt > 0) {
		ssize_t n = writev(fd, v, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Answers with an empty body and the connection closes. Returns 0. */
static int refuse(int fd, const char *status)
{
	send_response(fd, status, "text/plain", "", 0, "Connection: close\r\n");
	return 0;
}

/* Reads PATH whole into a fresh buffer. Returns it (free it), or NULL. */
static char *read_file(size_t *len)
{
	int fd = open(file_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	char *buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the file shrank: send what we have */
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* Answers one request: `req` is its line and headers, NUL-terminated, the
 * blank line cut off. Returns 1 to keep the connection, 0 to close it. */
static int handle(int fd, char *req)
{
	char *method = NULL, *target = NULL, *version = NULL, *save, *words;
	char *line = strtok_r(req, "\r\n", &save);
	if (line) {
		method = strtok_r(line, " ", &words);
		target = strtok_r(NULL, " ", &words);
		version = strtok_r(NULL, " ", &words);
	}
	if (!method || !target || !version || strncmp(version, "HTTP/1.", 7) != 0)
		return refuse(fd, "400 Bad Request");
	int keep = strcmp(version, "HTTP/1.0") != 0, body = 0;

	/* The headers we care about; the rest go unread. */
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		char *value = strchr(line, ':');
		if (!value)
			continue;
		*value++ = '\0';
		value += strspn(value, " \t");
		if (strcasecmp(line, "Connection") == 0) {
			if (strcasestr(value, "close"))
				keep = 0;
			else if (strcasestr(value, "keep-alive"))
				keep = 1;
		} else if (strcasecmp(line, "Content-Length") == 0) {
			body |= strtol(value, NULL, 10) != 0;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			body = 1;
		}
	}
	if (strcmp(method, "GET") != 0)
		return refuse(fd, "405 Method Not Allowed");
	if (body)
		return refuse(fd, "400 Bad Request");
	const char *conn = !keep ? "Connection: close\r\n"
			   : strcmp(version, "HTTP/1.0") == 0 ? "Connection: keep-alive\r\n" : "";
	target[strcspn(target, "?")] = '\0';
	int r;
	if (strcmp(target, "/") == 0) {
		r = send_response(fd, "200 OK", "text/plain", hello, sizeof hello - 1, conn);
	} else if (strcmp(target, "/file") == 0) {
		size_t len;
		char *data = read_file(&len);
		if (data)
			r = send_response(fd, "200 OK", "application/octet-stream", data, len, conn);
		else
			r = send_response(fd, "500 Internal Server Error", "text/plain", "", 0, conn);
		free(data);
	} else {
		r = send_response(fd, "404 Not Found", "text/plain", "", 0, conn);
	}
	return r == 0 && keep;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[REQ_MAX + 1];
	size_t len = 0; /* bytes in buf not yet answered */

	for (;;) {
		char *end = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
		if (end) { /* a whole request: answer it, keep what follows */
			size_t used = (size_t)(end - buf) + 4;
			*end = '\0';
			if (!handle(fd, buf))
				break;
			memmove(buf, buf + used, len - used);
			len -= used;
			continue;
		}
		if (len == REQ_MAX) {
			refuse(fd, "431 Request Header Fields Too Large");
			break;
		}
		ssize_t n = read(fd, buf + len, REQ_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF, or the peer reset the connection */
		len += (size_t)n;
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
		} else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) {
			file_path = argv[++i];
		} else {
			usage();
		}
	}
	if (!file_path)
		usage();

	int lfd = serve_listen("http_server", bind_addr, port, 0, on_signal);
	return serve_threads("http_server", lfd, serve);
}
