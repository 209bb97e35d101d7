/* Shared by the plain test programs. Knows nothing of ringlet: it reports
 * how many OS threads the process has, so that the runner can check that
 * under ringlet threads became fibers.
 *
 * report_os_threads() prints "os_threads=N" on stderr, N being the entries
 * of /proc/self/task whose name does not start with "iou-" (io_uring's
 * kernel workers belong to the kernel, not to the program). Call it where
 * the program has the most threads alive. */
#ifndef RINGLET_TEST_REPORT_H
#define RINGLET_TEST_REPORT_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline int count_os_threads(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], comm[32] = {0};
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      ssize_t k = read(fd, comm, sizeof comm - 1);
      (void)k;
      close(fd);
    }
    if (strncmp(comm, "iou-", 4) != 0) n++;
  }
  closedir(d);
  return n;
}

static inline void report_os_threads(void) {
  fprintf(stderr, "os_threads=%d\n", count_os_threads());
  fflush(stderr);
}

#endif
