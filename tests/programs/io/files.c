/* Regular files written and read by many threads at once: each thread
 * writes its own file with write, pwrite and writev (4 KiB pieces), syncs
 * it (fsync, fdatasync), reads it back with read, pread and readv, and
 * checks every byte; a file opened with O_APPEND is shared by all, and a
 * procfs file is read too. Checksums and sizes must match the native run. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

#define THREADS 8
#define PIECES 64
#define PIECE 4096
static char dir[] = "/tmp/ringlet-files-XXXXXX";
static int shared_fd;

static uint8_t byte_at(int id, size_t i) { return (uint8_t)(id * 31 + i * 7 + (i >> 12)); }

static void *worker(void *x) {
  int id = (int)(intptr_t)x;
  char path[128];
  snprintf(path, sizeof path, "%s/f%d", dir, id);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  static __thread uint8_t buf[PIECE * 2];
  for (int p = 0; p < PIECES; p++) {
    for (size_t i = 0; i < PIECE; i++) buf[i] = byte_at(id, (size_t)p * PIECE + i);
    if (p % 3 == 0) CHECK(write(fd, buf, PIECE) == PIECE);
    else if (p % 3 == 1) CHECK(pwrite(fd, buf, PIECE, (off_t)p * PIECE) == PIECE && lseek(fd, (off_t)(p + 1) * PIECE, SEEK_SET) >= 0);
    else {
      struct iovec v[2] = {{buf, PIECE / 2}, {buf + PIECE / 2, PIECE / 2}};
      CHECK(writev(fd, v, 2) == PIECE);
    }
    char line[32];
    int n = snprintf(line, sizeof line, "t%d p%d\n", id, p);
    CHECK(write(shared_fd, line, (size_t)n) == n); /* O_APPEND: whole lines */
  }
  CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  uint64_t sum = 0;
  size_t bad = 0;
  for (int p = 0; p < PIECES; p++) {
    ssize_t r;
    if (p % 3 == 0) r = read(fd, buf, PIECE);
    else if (p % 3 == 1) r = pread(fd, buf, PIECE, (off_t)p * PIECE), lseek(fd, (off_t)(p + 1) * PIECE, SEEK_SET);
    else {
      struct iovec v[2] = {{buf, 100}, {buf + 100, PIECE - 100}};
      r = readv(fd, v, 2);
    }
    CHECK(r == PIECE);
    for (size_t i = 0; i < PIECE; i++) {
      if (buf[i] != byte_at(id, (size_t)p * PIECE + i)) bad++;
      sum += buf[i];
    }
  }
  CHECK(read(fd, buf, PIECE) == 0); /* end of file */
  close(fd);
  unlink(path);
  return (void *)(uintptr_t)(bad ? 0 : sum);
}

int main(void) {
  CHECK(mkdtemp(dir) != NULL);
  char spath[128];
  snprintf(spath, sizeof spath, "%s/shared", dir);
  shared_fd = open(spath, O_RDWR | O_CREAT | O_APPEND, 0600);
  CHECK(shared_fd >= 0);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  report_os_threads();
  uint64_t total = 0;
  for (int i = 0; i < THREADS; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    if (!r) FAIL("thread %d read back wrong bytes", i);
    total += (uintptr_t)r;
  }
  struct stat st;
  CHECK(fstat(shared_fd, &st) == 0);
  char *all = malloc((size_t)st.st_size + 1);
  CHECK(pread(shared_fd, all, (size_t)st.st_size, 0) == st.st_size);
  int lines = 0;
  for (off_t i = 0; i < st.st_size; i++) lines += all[i] == '\n';
  /* Zero-length calls get the kernel's answer; a vector read of a file
   * only partly in the page cache is complete. */
  int wo = open(spath, O_WRONLY);
  char one;
  errno = 0;
  int z1 = (int)read(wo, &one, 0) < 0 ? errno : 0;
  close(wo);
  char bpath[128];
  snprintf(bpath, sizeof bpath, "%s/big", dir);
  int bf = open(bpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(bf >= 0);
  static char big[1 << 20];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 13);
  for (int k = 0; k < 4; k++) CHECK(write(bf, big, sizeof big) == (ssize_t)sizeof big);
  CHECK(fsync(bf) == 0);
  posix_fadvise(bf, 0, 0, POSIX_FADV_DONTNEED); /* out of the page cache... */
  CHECK(pread(bf, big, 4096, 0) == 4096);        /* ...but its first page */
  static char r1[3 << 20], r2[1 << 20];
  struct iovec rv[2] = {{r1, sizeof r1}, {r2, sizeof r2}};
  CHECK(lseek(bf, 0, SEEK_SET) == 0);
  ssize_t got = readv(bf, rv, 2);
  close(bf);
  unlink(bpath);
  printf("zero-length read on a write-only fd: %s; readv of a partly cached file: %zd of %d\n", strerror(z1), got,
         4 << 20);

  /* Opening by path: errors as the kernel gives them, openat from a
   * directory descriptor, O_CREAT|O_EXCL on an existing file. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  CHECK(dfd >= 0);
  int e1 = openat(dfd, "shared", O_RDONLY) >= 0;
  errno = 0;
  int e2 = openat(dfd, "missing", O_RDONLY) < 0 ? errno : 0;
  errno = 0;
  int e3 = open(spath, O_RDONLY | O_DIRECTORY) < 0 ? errno : 0;
  errno = 0;
  int e4 = openat(dfd, "shared", O_CREAT | O_EXCL | O_WRONLY, 0600) < 0 ? errno : 0;
  int e5 = creat(spath, 0600) >= 0;
  printf("openat: existing %d, missing %s, O_DIRECTORY on a file %s, O_EXCL %s, creat %d\n", e1, strerror(e2),
         strerror(e3), strerror(e4), e5);
  close(dfd);
  close(shared_fd);
  unlink(spath);
  rmdir(dir);
  int pfd = open("/proc/self/status", O_RDONLY);
  char pbuf[4096];
  ssize_t pn = read(pfd, pbuf, sizeof pbuf - 1);
  close(pfd);
  pbuf[pn > 0 ? pn : 0] = 0;
  printf("checksum=%llu bytes=%d shared lines=%d (of %d) procfs read: %s\n", (unsigned long long)total,
         THREADS * PIECES * PIECE, lines, THREADS * PIECES, strstr(pbuf, "Name:") ? "ok" : "failed");
  free(all);
  return 0;
}
