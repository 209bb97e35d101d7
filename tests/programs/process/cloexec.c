/* A threaded program's descriptors that an exec would pass on: under
 * ringlet the same as natively (ringlet's own ring, eventfd and log are
 * close-on-exec), counted after threads have run and blocked in I/O. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static int fds[2];
static void *reader(void *x) {
  (void)x;
  char c;
  CHECK(read(fds[0], &c, 1) == 1);
  return NULL;
}

int main(void) {
  CHECK(pipe2(fds, O_CLOEXEC) == 0);
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, reader, NULL), 0);
  usleep(10000);
  report_os_threads();
  CHECK(write(fds[1], "x", 1) == 1);
  CHECK_RC(pthread_join(t, NULL), 0);
  DIR *d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  int n = 0, total = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(d)) continue;
    total++;
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) n++;
  }
  closedir(d);
  printf("descriptors an exec would inherit (besides 0-2): %d\n", n);
  (void)total;
  return 0;
}
