/* Blocking calls whose memory is thread-local, for RINGLET_TLS=copy (where
 * every fiber's __thread variables live at the carrier's addresses while it
 * runs, so the kernel must not be left to use them while it is parked):
 * writes from and reads into __thread buffers through full pipes and
 * socket pairs (readv/writev with __thread iovecs too), connect from and
 * accept into __thread addresses, files created from a path held in TLS
 * and read (from the disk, not the page cache) into a __thread buffer, stat
 * into a __thread struct stat, and a robust mutex whose owners die holding
 * it.
 * Every thread checks that each byte it got is the one sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

#define N 12
#define CHUNK 8192
#define ROUNDS 24 /* 192 KiB a stream: three times a pipe's buffer */

static __thread unsigned char out_buf[CHUNK];
static __thread unsigned char in_buf[CHUNK];
static __thread struct iovec iov[2];
static __thread struct sockaddr_in addr;
static __thread socklen_t addr_len;
static __thread char path[64];
static __thread struct stat st;

static pthread_barrier_t barrier;
static char file_base[48];

/* Sends ROUNDS chunks of `tag` bytes from TLS, alternating write and writev. */
static void *writer(void *arg) {
  int fd = (int)(intptr_t)arg >> 8, tag = (int)(intptr_t)arg & 0xff;
  memset(out_buf, tag, sizeof out_buf);
  pthread_barrier_wait(&barrier); /* every reader waits first: the pipes fill */
  for (int r = 0; r < ROUNDS; r++) {
    ssize_t k;
    if (r % 2) {
      iov[0] = (struct iovec){out_buf, CHUNK / 2};
      iov[1] = (struct iovec){out_buf + CHUNK / 2, CHUNK / 2};
      k = writev(fd, iov, 2);
    } else {
      k = write(fd, out_buf, CHUNK);
    }
    if (k != CHUNK) FAIL("writer %d: wrote %zd", tag, k);
  }
  close(fd);
  return NULL;
}

/* Reads the stream into TLS (read and readv, or recv); every byte must be `tag`. */
static void *reader(void *arg) {
  int fd = (int)(intptr_t)arg >> 8, tag = (int)(intptr_t)arg & 0xff;
  pthread_barrier_wait(&barrier);
  usleep(20000); /* let the writers find the buffer full */
  long got = 0;
  for (int r = 0;; r++) {
    ssize_t k;
    memset(in_buf, 0, sizeof in_buf);
    if (r % 3 == 1) {
      iov[0] = (struct iovec){in_buf, 100};
      iov[1] = (struct iovec){in_buf + 100, CHUNK - 100};
      k = readv(fd, iov, 2);
    } else if (r % 3 == 2) {
      k = recv(fd, in_buf, CHUNK, 0);
      if (k < 0 && errno == ENOTSOCK) k = read(fd, in_buf, CHUNK);
    } else {
      k = read(fd, in_buf, CHUNK);
    }
    CHECK(k >= 0);
    if (k == 0) break;
    for (ssize_t i = 0; i < k; i++)
      if (in_buf[i] != tag) FAIL("reader %d: byte %ld is %d", tag, got + i, in_buf[i]);
    got += k;
  }
  close(fd);
  return (void *)got;
}

/* Two listeners; client i connects to listener i % 2 from a TLS address
 * and says which it meant, the acceptor (its address in TLS too) checks it
 * and sends back the client's port as it saw it. */
static int listener[2];
static in_port_t listen_port[2];

static void *client(void *arg) {
  int id = (int)(intptr_t)arg;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(s >= 0);
  addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = listen_port[id % 2],
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(connect(s, (struct sockaddr *)&addr, sizeof addr) == 0);
  char which = (char)(id % 2);
  CHECK(write(s, &which, 1) == 1);
  struct sockaddr_in me;
  socklen_t ml = sizeof me;
  CHECK(getsockname(s, (struct sockaddr *)&me, &ml) == 0);
  in_port_t seen;
  CHECK(read(s, &seen, sizeof seen) == sizeof seen);
  if (seen != me.sin_port) FAIL("the acceptor saw port %d, the client is on %d", ntohs(seen), ntohs(me.sin_port));
  close(s);
  return NULL;
}

static void *acceptor(void *arg) {
  int l = (int)(intptr_t)arg;
  for (int i = 0; i < N / 2; i++) {
    addr_len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    int c = accept(listener[l], (struct sockaddr *)&addr, &addr_len);
    CHECK(c >= 0);
    if (addr_len != sizeof addr || addr.sin_family != AF_INET || addr.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
      FAIL("accept filled %u bytes, family %d", addr_len, addr.sin_family);
    char which;
    CHECK(read(c, &which, 1) == 1);
    if (which != l) FAIL("a client for listener %d connected to listener %d", which, l);
    CHECK(write(c, &addr.sin_port, sizeof addr.sin_port) == sizeof addr.sin_port);
    close(c);
  }
  return NULL;
}

/* Files through TLS: each thread creates its own file from a path held in
 * TLS (O_CREAT goes past the dentry cache), fills it with its tag, drops it
 * from the page cache (so that a read must wait for the disk) and reads it
 * back into a TLS buffer; stat of the TLS path into a TLS struct stat. The
 * other threads do the same meanwhile, each with its own path and bytes. */
static void *files_in_tls(void *arg) {
  int id = (int)(intptr_t)arg;
  char own[64];
  snprintf(own, sizeof own, "%s.%d", (const char *)file_base, id);
  for (int i = 0; i < 20; i++) {
    snprintf(path, sizeof path, "%s", own);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd >= 0);
    struct stat by_fd, by_name;
    CHECK(fstat(fd, &by_fd) == 0 && stat(own, &by_name) == 0);
    if (by_fd.st_ino != by_name.st_ino) FAIL("thread %d: open through TLS opened another file", id);
    memset(out_buf, 'a' + id, CHUNK);
    CHECK(write(fd, out_buf, CHUNK) == CHUNK);
    CHECK(fdatasync(fd) == 0);
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
    memset(in_buf, 0, CHUNK);
    CHECK(pread(fd, in_buf, CHUNK, 0) == CHUNK);
    for (int k = 0; k < CHUNK; k++)
      if (in_buf[k] != 'a' + id) FAIL("thread %d: byte %d of its file read as %d", id, k, in_buf[k]);
    close(fd);
    memset(&st, 0, sizeof st);
    CHECK(stat(path, &st) == 0);
    if (st.st_ino != by_name.st_ino || st.st_size != CHUNK) FAIL("thread %d: stat through TLS: inode %lu", id, (unsigned long)st.st_ino);
  }
  unlink(own);
  return NULL;
}

static pthread_mutex_t robust;

static void *die_holding(void *arg) {
  (void)arg;
  int r = pthread_mutex_lock(&robust);
  if (r == EOWNERDEAD) CHECK_RC(pthread_mutex_consistent(&robust), 0);
  else CHECK_RC(r, 0);
  usleep(200); /* blocked while holding it */
  return NULL;  /* dies holding it */
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  snprintf(file_base, sizeof file_base, "/tmp/ringlet-copy-io-%d", (int)getpid());
  /* Streams: pipes and socket pairs, each with one writer and one reader. */
  pthread_t t[2 * N];
  pthread_barrier_init(&barrier, NULL, 2 * N);
  for (int i = 0; i < N; i++) {
    int p[2];
    if (i % 2) CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0);
    else CHECK(pipe(p) == 0);
    int tag = 'A' + i;
    CHECK_RC(pthread_create(&t[2 * i], NULL, writer, (void *)(intptr_t)(p[1] << 8 | tag)), 0);
    CHECK_RC(pthread_create(&t[2 * i + 1], NULL, reader, (void *)(intptr_t)(p[0] << 8 | tag)), 0);
  }
  report_os_threads();
  long total = 0;
  for (int i = 0; i < 2 * N; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    total += (long)r;
  }
  printf("streams: %d, %ld bytes, each byte its sender's\n", N, total);

  /* connect and accept with addresses in TLS */
  pthread_t acc[2], cl[N];
  for (int l = 0; l < 2; l++) {
    listener[l] = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(listener[l] >= 0);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(listener[l], (struct sockaddr *)&la, sizeof la) == 0 && listen(listener[l], 64) == 0);
    socklen_t ll = sizeof la;
    CHECK(getsockname(listener[l], (struct sockaddr *)&la, &ll) == 0);
    listen_port[l] = la.sin_port;
  }
  for (int l = 0; l < 2; l++) CHECK_RC(pthread_create(&acc[l], NULL, acceptor, (void *)(intptr_t)l), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_create(&cl[i], NULL, client, (void *)(intptr_t)i), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_join(cl[i], NULL), 0);
  for (int l = 0; l < 2; l++) {
    CHECK_RC(pthread_join(acc[l], NULL), 0);
    close(listener[l]);
  }
  printf("connections: %d to 2 listeners, each where its client meant, each acceptor saw its client's port\n", N);

  /* files: paths, buffers and stat results in TLS */
  pthread_t s[4];
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_create(&s[i], NULL, files_in_tls, (void *)(intptr_t)i), 0);
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_join(s[i], NULL), 0);
  printf("files: opened, read and stat'ed through TLS, each thread its own\n");

  /* A robust mutex whose owners die holding it, 40 times. */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  CHECK_RC(pthread_mutex_init(&robust, &ma), 0);
  int died = 0;
  for (int i = 0; i < 40; i++) {
    pthread_t d;
    CHECK_RC(pthread_create(&d, NULL, die_holding, NULL), 0);
    CHECK_RC(pthread_join(d, NULL), 0);
    int r = pthread_mutex_lock(&robust);
    if (r == EOWNERDEAD) {
      died++;
      CHECK_RC(pthread_mutex_consistent(&robust), 0);
    } else {
      CHECK_RC(r, 0);
    }
    CHECK_RC(pthread_mutex_unlock(&robust), 0);
  }
  printf("robust mutex: owner died %d times of 40\n", died);
  return 0;
}
