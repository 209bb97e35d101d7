// Per-descriptor state: what ringlet must know about an fd to block a fiber
// on it the way the kernel would block a thread.
//
// The kernel's file status flags are never changed (DESIGN rule 1), so the
// program's O_NONBLOCK is the kernel's; this table caches it (a system call
// per I/O call to ask would cost more than the I/O). It is kept true by the
// calls that change it (socket, accept4, pipe2, fcntl, ioctl FIONBIO, dup*,
// close), and entries learned by asking the kernel ("probed": inherited or
// made by calls ringlet does not see) are asked again before a fiber parks.
// O_NONBLOCK and the socket timeouts belong to the open file description, so
// descriptors made by dup share them: each entry carries a description id.
//
// Thread-safe (atomics per entry); callable from fibers and plain threads.
#pragma once

#include <cstdint>

namespace rt::fd {

enum Kind : uint8_t {
  kUnknown = 0,  // not an open descriptor, or never seen
  kSocketStream,
  kSocketDgram,  // datagram and seqpacket sockets: no partial sends
  kPipe,         // pipes and FIFOs
  kChar,         // terminals and other character devices
  kRegular,      // regular files, directories, block devices: never "would block"
  kOther,        // eventfd, timerfd, epoll, signalfd, inotify...
};

struct Info {
  Kind kind = kUnknown;
  bool nonblock = false;  // the program's (and kernel's) O_NONBLOCK
  bool exact = false;     // known from the calls that made it, not probed
  bool no_nowait = false; // RWF_NOWAIT refused for reads: skip the non-blocking try
  bool no_nowait_write = false;  // ... for writes (ext4's buffered writes)
  int64_t rcvtimeo = 0;   // SO_RCVTIMEO in ns, 0 = none
  int64_t sndtimeo = 0;   // SO_SNDTIMEO in ns
  bool socket() const { return kind == kSocketStream || kind == kSocketDgram; }
  // Reads and writes that may wait for a peer: sockets, pipes, terminals, ...
  bool may_block() const { return kind != kUnknown && kind != kRegular; }
};

// The entry for fd, asking the kernel once if ringlet never saw it. An fd
// that is not open gives kind kUnknown (callers pass the call through and
// let the kernel answer EBADF).
Info get(int fd);
// What the table already knows of fd, without asking the kernel (kind
// kUnknown if nothing).
Info peek(int fd);

// A new descriptor made by a call ringlet sees.
void created(int fd, Kind kind, bool nonblock);
// A new socket from accept: inherits the listener's timeouts, as Linux does.
void accepted(int fd, int listener, bool nonblock);
// fd now refers to what `from` refers to (dup, dup2, dup3, F_DUPFD).
void duplicated(int from, int fd);
// fd closed or replaced by something ringlet did not see: ask again.
void forget(int fd);
// fcntl(F_SETFL) / ioctl(FIONBIO): for every fd of the same description.
void set_nonblock(int fd, bool on);
void set_timeout(int fd, bool send, int64_t ns);
// RWF_NOWAIT was refused (EOPNOTSUPP) for reads, or for writes, on fd.
void set_no_nowait(int fd, bool write);
// Before parking on a probed entry: ask the kernel whether O_NONBLOCK is
// set now (another process may share the description), at most every
// kRecheckNs per descriptor so that a stream of waits on an inherited fd
// (stdin, a socket from systemd) does not cost a system call each.
constexpr int64_t kRecheckNs = 100 * 1000000;
bool nonblock_now(int fd);

// After fork nothing changes: descriptors are inherited with their state.

}  // namespace rt::fd
