/* pingpong: two threads bounce one byte over two pipes with blocking
 * read()/write() for D seconds (default 5), then print
 *   round_trips=X rate=Y
 * (rate in round trips per second). Knows nothing of ringlet. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2]; /* main -> echoer, echoer -> main */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void xread(int fd, char *c)
{
	ssize_t n;
	while ((n = read(fd, c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		fprintf(stderr, "pingpong: read: %s\n",
			n == 0 ? "unexpected EOF" : strerror(errno));
		exit(1);
	}
}

static void xwrite(int fd, char c)
{
	ssize_t n;
	while ((n = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		fprintf(stderr, "pingpong: write: %s\n", strerror(errno));
		exit(1);
	}
}

/* Echoes every byte back; a 'q' is echoed and ends the thread. */
static void *echoer(void *arg)
{
	(void)arg;
	char c;
	do {
		xread(ping[0], &c);
		xwrite(pong[1], c);
	} while (c != 'q');
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = 5;
	if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
		seconds = strtod(argv[2], NULL);
	} else if (argc != 1) {
		fprintf(stderr, "usage: pingpong [--seconds D]\n");
		return 2;
	}
	if (!(seconds > 0)) {
		fprintf(stderr, "pingpong: bad --seconds\n");
		return 2;
	}
	if (pipe(ping) != 0 || pipe(pong) != 0) {
		perror("pingpong: pipe");
		return 1;
	}
	pthread_t t;
	int err = pthread_create(&t, NULL, echoer, NULL);
	if (err != 0) {
		fprintf(stderr, "pingpong: pthread_create: %s\n", strerror(err));
		return 1;
	}

	unsigned long long trips = 0;
	double start = mono(), end = start + seconds, now = start;
	char c;
	while (now < end) {
		for (int i = 0; i < 64; i++) {
			xwrite(ping[1], 'p');
			xread(pong[0], &c);
		}
		trips += 64;
		now = mono();
	}
	xwrite(ping[1], 'q');
	xread(pong[0], &c);
	pthread_join(t, NULL);

	double elapsed = now - start;
	printf("round_trips=%llu rate=%.1f\n", trips, (double)trips / elapsed);
	return 0;
}
