#include "fd.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <linux/time_types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "raw.h"
#include "timer.h"

namespace rt::fd {

namespace {

enum : uint32_t {
  kKindMask = 0xf,
  kKnown = 1u << 4,
  kNonblock = 1u << 5,
  kExact = 1u << 6,
  kNoNowait = 1u << 7,
  kShared = 1u << 8,  // another fd may share the description (dup)
  kNoNowaitWrite = 1u << 9,
};

struct Entry {
  std::atomic<uint32_t> bits{0};
  std::atomic<uint32_t> desc{0};
  std::atomic<int64_t> rcvtimeo{0};
  std::atomic<int64_t> sndtimeo{0};
  std::atomic<int64_t> checked{0};  // when nonblock_now last asked the kernel
};

constexpr unsigned kChunkBits = 12;  // 4096 entries (128 KiB) per chunk
constexpr unsigned kChunks = 256;    // 1M descriptors
constinit std::atomic<Entry*> g_chunks[kChunks];
std::atomic<int> g_max_fd{-1};
std::atomic<uint32_t> g_next_desc{1};

Entry* entry(int fd, bool create) {
  if (fd < 0) return nullptr;
  unsigned c = unsigned(fd) >> kChunkBits;
  if (c >= kChunks) return nullptr;
  Entry* chunk = g_chunks[c].load(std::memory_order_acquire);
  if (!chunk) {
    if (!create) return nullptr;
    auto* fresh = static_cast<Entry*>(calloc(1u << kChunkBits, sizeof(Entry)));
    if (!fresh) return nullptr;
    if (!g_chunks[c].compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) free(fresh);
    else chunk = fresh;
  }
  int m = g_max_fd.load(std::memory_order_relaxed);
  while (fd > m && !g_max_fd.compare_exchange_weak(m, fd, std::memory_order_relaxed)) {
  }
  return &chunk[unsigned(fd) & ((1u << kChunkBits) - 1)];
}

int64_t timeval_ns(const __kernel_old_timeval& tv) { return to_ns(tv.tv_sec, int64_t(tv.tv_usec) * 1000); }

int64_t probe_timeout(int fd, int opt) {
  __kernel_old_timeval tv{};
  socklen_t len = sizeof tv;
  if (raw::sys(SYS_getsockopt, fd, SOL_SOCKET, opt, &tv, &len) != 0) return 0;
  return timeval_ns(tv);
}

Info decode(const Entry& e) {
  Info i;
  uint32_t b = e.bits.load(std::memory_order_acquire);
  i.kind = Kind(b & kKindMask);
  i.nonblock = b & kNonblock;
  i.exact = b & kExact;
  i.no_nowait = b & kNoNowait;
  i.no_nowait_write = b & kNoNowaitWrite;
  i.rcvtimeo = e.rcvtimeo.load(std::memory_order_relaxed);
  i.sndtimeo = e.sndtimeo.load(std::memory_order_relaxed);
  return i;
}

// Asks the kernel. Returns false if fd is not open.
bool probe(int fd, Info* out) {
  struct stat st;
  if (raw::sys(SYS_fstat, fd, &st) != 0) return false;
  long fl = raw::sys(SYS_fcntl, fd, F_GETFL);
  if (raw::is_err(fl)) return false;
  Info i;
  i.nonblock = fl & O_NONBLOCK;
  switch (st.st_mode & S_IFMT) {
    case S_IFSOCK: {
      int type = 0;
      socklen_t len = sizeof type;
      raw::sys(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len);
      i.kind = type == SOCK_STREAM ? kSocketStream : kSocketDgram;
      i.rcvtimeo = probe_timeout(fd, SO_RCVTIMEO_OLD);
      i.sndtimeo = probe_timeout(fd, SO_SNDTIMEO_OLD);
      break;
    }
    case S_IFIFO: i.kind = kPipe; break;
    case S_IFCHR: i.kind = kChar; break;
    case S_IFREG:
    case S_IFDIR:
    case S_IFBLK:
    case S_IFLNK: i.kind = kRegular; break;
    default: i.kind = kOther; break;  // anonymous inodes: eventfd, epoll, ...
  }
  *out = i;
  return true;
}

void store(Entry* e, const Info& i, uint32_t desc, bool shared) {
  e->checked.store(0, std::memory_order_relaxed);
  e->rcvtimeo.store(i.rcvtimeo, std::memory_order_relaxed);
  e->sndtimeo.store(i.sndtimeo, std::memory_order_relaxed);
  e->desc.store(desc, std::memory_order_relaxed);
  uint32_t b = uint32_t(i.kind) | kKnown;
  if (i.nonblock) b |= kNonblock;
  if (i.exact) b |= kExact;
  if (i.no_nowait) b |= kNoNowait;
  if (i.no_nowait_write) b |= kNoNowaitWrite;
  if (shared) b |= kShared;
  e->bits.store(b, std::memory_order_release);
}

// Applies f to fd's entry and, if its description is shared, to every
// entry of the same description.
template <typename F>
void for_description(int fd, F f) {
  Entry* e = entry(fd, false);
  if (!e) return;
  f(e);
  if (!(e->bits.load(std::memory_order_acquire) & kShared)) return;
  uint32_t d = e->desc.load(std::memory_order_relaxed);
  int max = g_max_fd.load(std::memory_order_relaxed);
  for (int o = 0; o <= max; ++o) {
    if (o == fd) continue;
    Entry* x = entry(o, false);
    if (x && (x->bits.load(std::memory_order_relaxed) & kKnown) &&
        x->desc.load(std::memory_order_relaxed) == d)
      f(x);
  }
}

}  // namespace

Info get(int fd) {
  Entry* e = entry(fd, true);
  if (e) {
    uint32_t b = e->bits.load(std::memory_order_acquire);
    if (b & kKnown) return decode(*e);
  }
  Info i;
  if (!probe(fd, &i)) return Info{};
  if (e) store(e, i, g_next_desc.fetch_add(1, std::memory_order_relaxed), false);
  return i;
}

Info peek(int fd) {
  Entry* e = entry(fd, false);
  if (e && (e->bits.load(std::memory_order_acquire) & kKnown)) return decode(*e);
  return Info{};
}

void created(int fd, Kind kind, bool nonblock) {
  Entry* e = entry(fd, true);
  if (!e) return;
  Info i;
  i.kind = kind;
  i.nonblock = nonblock;
  i.exact = true;
  store(e, i, g_next_desc.fetch_add(1, std::memory_order_relaxed), false);
}

void accepted(int fd, int listener, bool nonblock) {
  Entry* e = entry(fd, true);
  if (!e) return;
  Info l = get(listener);
  Info i;
  i.kind = kSocketStream;
  i.nonblock = nonblock;
  i.exact = true;
  i.rcvtimeo = l.rcvtimeo;
  i.sndtimeo = l.sndtimeo;
  store(e, i, g_next_desc.fetch_add(1, std::memory_order_relaxed), false);
}

void duplicated(int from, int fd) {
  if (from == fd) return;
  Info i = get(from);
  Entry* src = entry(from, false);
  Entry* dst = entry(fd, true);
  if (!dst) return;
  if (!src || i.kind == kUnknown) {
    forget(fd);
    return;
  }
  src->bits.fetch_or(kShared, std::memory_order_acq_rel);
  store(dst, i, src->desc.load(std::memory_order_relaxed), true);
}

void forget(int fd) {
  if (Entry* e = entry(fd, false)) e->bits.store(0, std::memory_order_release);
}

void set_nonblock(int fd, bool on) {
  get(fd);  // make sure the entry is known before flipping one bit of it
  for_description(fd, [on](Entry* e) {
    if (on) e->bits.fetch_or(kNonblock, std::memory_order_acq_rel);
    else e->bits.fetch_and(~kNonblock, std::memory_order_acq_rel);
  });
}

void set_timeout(int fd, bool send, int64_t ns) {
  get(fd);
  for_description(fd, [send, ns](Entry* e) {
    (send ? e->sndtimeo : e->rcvtimeo).store(ns, std::memory_order_relaxed);
  });
}

void set_no_nowait(int fd, bool write) {
  if (Entry* e = entry(fd, false)) e->bits.fetch_or(write ? kNoNowaitWrite : kNoNowait, std::memory_order_acq_rel);
}

bool nonblock_now(int fd) {
  Entry* e = entry(fd, false);
  int64_t now = now_ns();
  if (e) {
    if (now - e->checked.load(std::memory_order_relaxed) < kRecheckNs)
      return e->bits.load(std::memory_order_acquire) & kNonblock;
    e->checked.store(now, std::memory_order_relaxed);
  }
  long fl = raw::sys(SYS_fcntl, fd, F_GETFL);
  if (raw::is_err(fl)) return false;
  bool nb = fl & O_NONBLOCK;
  if (e) {
    if (nb) e->bits.fetch_or(kNonblock, std::memory_order_acq_rel);
    else e->bits.fetch_and(~kNonblock, std::memory_order_acq_rel);
  }
  return nb;
}

}  // namespace rt::fd
