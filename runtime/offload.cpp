#include "offload.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <new>

#include "raw.h"
#include "sched.h"
#include "spin.h"
#include "sync/futex.h"

namespace rt::offload {

namespace {

struct Job {
  void (*fn)(void*);
  void* arg;
  std::atomic<uint32_t> done{0};
  Job* next = nullptr;
};

CreateFn g_create;
constinit SpinLock g_lock;
Job* g_head = nullptr;  // FIFO of calls waiting for a helper (g_lock)
Job* g_tail = nullptr;
unsigned g_helpers = 0;  // started (g_lock)
unsigned g_idle = 0;     // waiting for a job (g_lock)
std::atomic<uint32_t> g_seq{0};  // futex word: bumped for each queued job

Job* take() {
  SpinGuard g(g_lock);
  Job* j = g_head;
  if (j) {
    g_head = j->next;
    if (!g_head) g_tail = nullptr;
  }
  return j;
}

void* helper(void*) {
  // Every signal blocked but glibc's own two (SIGCANCEL, SIGSETXID).
  uint64_t all = ~((uint64_t(1) << 31) | (uint64_t(1) << 32));
  raw::sys(SYS_rt_sigprocmask, SIG_SETMASK, &all, nullptr, 8);
  for (;;) {
    uint32_t seq = g_seq.load(std::memory_order_acquire);
    if (Job* j = take()) {
      j->fn(j->arg);
      // j lives on the waiter's stack: the store is the last touch (the wake
      // only hashes the address; the parking lot keeps the waiter's node
      // alive until the wake is done with it).
      std::atomic<uint32_t>* done = &j->done;
      done->store(1, std::memory_order_release);
      futex::wake(done, 1);
      continue;
    }
    {
      SpinGuard g(g_lock);
      ++g_idle;
    }
    futex::wait(&g_seq, seq, kNoDeadline);  // not a fiber: sleeps in the kernel
    SpinGuard g(g_lock);
    --g_idle;
  }
  return nullptr;
}

}  // namespace

void set_thread_creator(CreateFn create) { g_create = create; }

int run(void (*fn)(void*), void* arg) {
  Job j{fn, arg};
  bool start = false;
  {
    SpinGuard g(g_lock);
    if (g_tail) g_tail->next = &j;
    else g_head = &j;
    g_tail = &j;
    // One helper per call in flight, up to the cap; queued calls beyond it
    // wait for the first helper to come free.
    unsigned queued = 0;
    for (Job* q = g_head; q; q = q->next) ++queued;
    if (queued > g_idle && g_helpers < kMaxHelpers) {
      ++g_helpers;
      start = true;
    }
  }
  if (start) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 << 10);
    pthread_t t;
    int r = g_create ? g_create(&t, &a, helper, nullptr) : ENOSYS;
    pthread_attr_destroy(&a);
    if (r != 0) {
      SpinGuard g(g_lock);
      --g_helpers;
      if (g_helpers == 0) {
        // Nobody will ever take it: withdraw the call.
        Job** p = &g_head;
        while (*p != &j) p = &(*p)->next;
        *p = j.next;
        if (g_tail == &j) {
          g_tail = nullptr;
          for (Job* q = g_head; q; q = q->next) g_tail = q;
        }
        return EAGAIN;
      }
    }
  }
  g_seq.fetch_add(1, std::memory_order_release);
  futex::wake(&g_seq, 1);
  while (!j.done.load(std::memory_order_acquire)) futex::wait(&j.done, 0, kNoDeadline);
  return 0;
}

unsigned helpers() {
  SpinGuard g(g_lock);
  return g_helpers;
}

void reset_after_fork() {
  g_head = g_tail = nullptr;
  g_helpers = g_idle = 0;
  g_seq.store(0);
  new (&g_lock) SpinLock();
}

}  // namespace rt::offload
