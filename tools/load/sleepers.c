/* sleepers: N threads (default attributes) each sleep SECONDS; main joins
 * them all and prints
 *   threads=N elapsed=E
 * where E is the wall time in seconds from the first pthread_create to the
 * last pthread_join. Natively E grows with the cost of N kernel threads; with
 * cheap threads it stays close to SECONDS. Knows nothing of ringlet. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *sleeper(void *arg)
{
	(void)arg;
	if (seconds == floor(seconds)) {
		unsigned left = (unsigned)seconds;
		while (left > 0) /* sleep() returns early on a signal */
			left = sleep(left);
	} else {
		struct timespec ts = {
			.tv_sec = (time_t)seconds,
			.tv_nsec = (long)((seconds - floor(seconds)) * 1e9),
		};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sleepers N SECONDS\n");
		return 2;
	}
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (*end || n < 1) {
		fprintf(stderr, "sleepers: bad N: %s\n", argv[1]);
		return 2;
	}
	seconds = strtod(argv[2], &end);
	if (*end || !(seconds >= 0) || seconds > 1e6) {
		fprintf(stderr, "sleepers: bad SECONDS: %s\n", argv[2]);
		return 2;
	}

	pthread_t *t = calloc((size_t)n, sizeof *t);
	if (!t) {
		fprintf(stderr, "sleepers: out of memory\n");
		return 1;
	}
	double start = mono();
	for (long i = 0; i < n; i++) {
		int err = pthread_create(&t[i], NULL, sleeper, NULL);
		if (err != 0) {
			fprintf(stderr,
				"sleepers: pthread_create of thread %ld of %ld: "
				"%s\n", i + 1, n, strerror(err));
			return 1;
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads=%ld elapsed=%.3f\n", n, mono() - start);
	return 0;
}
