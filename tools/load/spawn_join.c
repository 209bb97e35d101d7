/* spawn_join: pthread_create + pthread_join of a trivial thread (default
 * attributes) in a loop for D seconds (default 5), then print
 *   spawns=X rate=Y
 * (rate in spawns per second). Knows nothing of ringlet. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *trivial(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	double seconds = 5;
	if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
		seconds = strtod(argv[2], NULL);
	} else if (argc != 1) {
		fprintf(stderr, "usage: spawn_join [--seconds D]\n");
		return 2;
	}
	if (!(seconds > 0)) {
		fprintf(stderr, "spawn_join: bad --seconds\n");
		return 2;
	}

	unsigned long long spawns = 0;
	double start = mono(), end = start + seconds, now = start;
	while (now < end) {
		pthread_t t;
		void *ret;
		int err = pthread_create(&t, NULL, trivial, &spawns);
		if (err != 0) {
			fprintf(stderr, "spawn_join: pthread_create: %s\n",
				strerror(err));
			return 1;
		}
		err = pthread_join(t, &ret);
		if (err != 0 || ret != &spawns) {
			fprintf(stderr, "spawn_join: pthread_join: %s\n",
				err ? strerror(err) : "wrong return value");
			return 1;
		}
		spawns++;
		now = mono();
	}
	printf("spawns=%llu rate=%.1f\n", spawns,
	       (double)spawns / (now - start));
	return 0;
}
