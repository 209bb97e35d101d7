// C++ thread_local: constructors run on first use in each thread and
// destructors at that thread's exit (also in threads that block in between,
// and in destructors that themselves block), before pthread key
// destructors, as glibc orders them; function-local thread_local statics;
// std::thread with std::mutex and std::condition_variable.
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "check.h"
#include "report.h"
}

namespace {

constexpr int kThreads = 48;
std::atomic<int> constructed{0}, destroyed{0}, keys_after_tls{0}, keys_before_tls{0};
pthread_key_t key;
thread_local bool tls_dtor_ran = false;  // trivially destructible: outlives Tracked

void nap_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct Tracked {
  int id = -1;
  std::string label;
  std::vector<int> values;
  Tracked() : label("fresh") { constructed++; }
  ~Tracked() {
    if (id >= 0) nap_ms(1);  // a destructor that blocks
    tls_dtor_ran = true;
    destroyed++;
  }
};

thread_local Tracked tracked;

int& per_thread_calls() {
  thread_local int calls = 0;  // function-local, zero in each thread
  return ++calls, calls;
}

void key_dtor(void* v) {
  if (tls_dtor_ran) keys_after_tls++;
  else keys_before_tls++;
  delete static_cast<int*>(v);
}

std::mutex mu;
std::condition_variable cv;
int arrived = 0;

void work(int id) {
  CHECK(tracked.label == "fresh" && tracked.id == -1 && tracked.values.empty());
  tracked.id = id;
  tracked.label = "thread-" + std::to_string(id);
  pthread_setspecific(key, new int(id));
  {
    std::unique_lock<std::mutex> lk(mu);
    if (++arrived == kThreads) cv.notify_all();
    cv.wait(lk, [] { return arrived == kThreads; });
  }
  if (id == 0) report_os_threads();
  for (int r = 0; r < 20; r++) {
    tracked.values.push_back(id * 100 + r);
    per_thread_calls();
    nap_ms(1 + (id + r) % 3);
    std::lock_guard<std::mutex> lk(mu);
    usleep(100);  // blocking inside the critical section
  }
  if (tracked.label != "thread-" + std::to_string(id)) FAIL("thread %d: label '%s'", id, tracked.label.c_str());
  if (tracked.values.size() != 20 || tracked.values[7] != id * 100 + 7) FAIL("thread %d: values", id);
  if (per_thread_calls() != 21) FAIL("thread %d: function-local thread_local counted %d", id, per_thread_calls());
}

struct MainTracked {
  ~MainTracked() { std::printf("main thread's thread_local destroyed at exit\n"); }
};
thread_local MainTracked main_tracked;

}  // namespace

int main() {
  CHECK_RC(pthread_key_create(&key, key_dtor), 0);
  (void)&main_tracked;  // constructed in main: destroyed by exit()
  tracked.id = -2;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; i++) ts.emplace_back(work, i);
  for (auto& t : ts) t.join();
  std::printf("constructed=%d destroyed=%d (main's own still alive)\n", constructed.load(), destroyed.load());
  std::printf("key destructors after thread_local destructors: %d, before: %d\n", keys_after_tls.load(),
              keys_before_tls.load());
  std::printf("main's tracked id=%d\n", tracked.id);
  return 0;
}
