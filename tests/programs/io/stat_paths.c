/* File status by path, as the kernel gives it: stat, lstat, fstatat and
 * statx on a regular file, a directory, a symlink, a dangling symlink, a
 * symlink loop, a missing name, a file used as a directory, and paths
 * relative to a directory descriptor; every field compared with fstat on
 * an open descriptor. Then 8 threads stat, open, read and close files at
 * once (names never looked up before, so not in the kernel's cache, among
 * them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static char dir[256];

static int same(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
         a->st_nlink == b->st_nlink && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
         a->st_rdev == b->st_rdev && a->st_size == b->st_size && a->st_blksize == b->st_blksize &&
         a->st_blocks == b->st_blocks && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static const char *kind(mode_t m) {
  return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : "other";
}

static void show(const char *what, const char *name, int flags) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  errno = 0;
  int r = flags ? lstat(path, &st) : stat(path, &st);
  if (r != 0) {
    printf("%s %s: -1 %s\n", what, name, strerror(errno));
    return;
  }
  printf("%s %s: %s, size %lld, mode %o, links %ld\n", what, name, kind(st.st_mode), (long long)st.st_size,
         (unsigned)(st.st_mode & 07777), (long)st.st_nlink);
}

static void *worker(void *x) {
  long id = (long)x;
  char path[512], buf[64];
  long found = 0;
  for (int i = 0; i < 200; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/data", dir);
    CHECK(stat(path, &st) == 0 && st.st_size == 11);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 11);
    CHECK(close(fd) == 0);
    snprintf(path, sizeof path, "%s/missing-%ld-%d", dir, id, i);
    errno = 0;
    CHECK(stat(path, &st) == -1 && errno == ENOENT);
    snprintf(path, sizeof path, "/usr/include/%s.h", i % 2 ? "stdio" : "never-such-header");
    if (stat(path, &st) == 0) found++;
  }
  return (void *)found;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  snprintf(dir, sizeof dir, "/tmp/ringlet-stat-%d", (int)getpid());
  CHECK(mkdir(dir, 0755) == 0);
  char path[512], target[512];
  snprintf(path, sizeof path, "%s/data", dir);
  int fd = open(path, O_CREAT | O_WRONLY, 0640);
  CHECK(fd >= 0 && write(fd, "hello world", 11) == 11);
  CHECK(fchmod(fd, 0640) == 0);
  snprintf(path, sizeof path, "%s/sub", dir);
  CHECK(mkdir(path, 0700) == 0);
  snprintf(path, sizeof path, "%s/link", dir);
  CHECK(symlink("data", path) == 0);
  snprintf(path, sizeof path, "%s/dangling", dir);
  CHECK(symlink("nowhere", path) == 0);
  snprintf(path, sizeof path, "%s/loop", dir);
  CHECK(symlink("loop", path) == 0);

  const char *names[] = {"data", "sub", "link", "dangling", "loop", "absent", "data/x", "sub/"};
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
    show("stat", names[i], 0);
    show("lstat", names[i], 1);
  }

  /* every field, four ways */
  struct stat a, b, c, d;
  snprintf(path, sizeof path, "%s/data", dir);
  CHECK(stat(path, &a) == 0);
  CHECK(fstat(fd, &b) == 0);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  CHECK(dfd >= 0);
  CHECK(fstatat(dfd, "link", &c, 0) == 0);
  CHECK(fstatat(dfd, "data", &d, AT_SYMLINK_NOFOLLOW) == 0);
  printf("stat, fstat, fstatat through the link, fstatat nofollow agree: %s\n",
         same(&a, &b) && same(&a, &c) && same(&a, &d) ? "yes" : "no");
  struct statx x;
  CHECK(statx(dfd, "data", 0, STATX_BASIC_STATS, &x) == 0);
  printf("statx agrees: %s\n",
         x.stx_ino == a.st_ino && x.stx_size == (unsigned long long)a.st_size && x.stx_mode == a.st_mode ? "yes"
                                                                                                        : "no");
  errno = 0;
  int r = fstatat(dfd, "", &c, 0);
  printf("fstatat empty path without AT_EMPTY_PATH: %d %s\n", r, strerror(errno));
  CHECK(fstatat(fd, "", &c, AT_EMPTY_PATH) == 0 && same(&a, &c));
  errno = 0;
  r = statx(dfd, "loop", 0, STATX_BASIC_STATS, &x);
  printf("statx of a loop: %d %s\n", r, strerror(errno));
  CHECK(stat("/proc/self/exe", &c) == 0);
  printf("/proc/self/exe is a file: %s\n", S_ISREG(c.st_mode) ? "yes" : "no");
  close(fd);

  pthread_t w[8];
  long found = 0;
  for (long i = 0; i < 8; i++) CHECK_RC(pthread_create(&w[i], NULL, worker, (void *)i), 0);
  report_os_threads();
  for (int i = 0; i < 8; i++) {
    void *r;
    CHECK_RC(pthread_join(w[i], &r), 0);
    found += (long)r;
  }
  printf("8 threads x 200 (stat, open, read, close, stat of a missing name, stat of a header): headers found %ld\n",
         found);

  const char *rm[] = {"data", "link", "dangling", "loop"};
  for (unsigned i = 0; i < 4; i++) {
    snprintf(target, sizeof target, "%s/%s", dir, rm[i]);
    CHECK(unlink(target) == 0);
  }
  snprintf(target, sizeof target, "%s/sub", dir);
  CHECK(rmdir(target) == 0);
  close(dfd);
  CHECK(rmdir(dir) == 0);
  return 0;
}
