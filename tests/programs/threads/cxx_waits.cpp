// C++ standard library waits that libstdc++ builds on raw futex system calls
// (made through libc's syscall()), not on pthread calls: std::future,
// std::atomic::wait/notify, contended function-local statics
// (__cxa_guard_acquire) and std::counting_semaphore. Each waiter blocks
// while the thread that will release it still has work to do, including a
// blocking call. Plus std::thread, std::mutex and std::condition_variable.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <thread>
#include <vector>

extern "C" {
#include "report.h"
}

using namespace std::chrono_literals;

static int slow_init_runs = 0;

static int slow_value() {
  // Every thread calls this at once; the first runs the initializer, which
  // sleeps, and the others wait in __cxa_guard_acquire.
  static int v = [] {
    ++slow_init_runs;
    std::this_thread::sleep_for(100ms);
    return 42;
  }();
  return v;
}

int main() {
  // std::future from std::async: the getter waits in a futex.
  std::vector<std::future<long>> fs;
  for (long i = 1; i <= 8; ++i)
    fs.push_back(std::async(std::launch::async, [i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * i));
      return i * i;
    }));
  long sum = 0;
  for (auto& f : fs) sum += f.get();
  std::printf("futures: %ld\n", sum);

  // std::atomic::wait / notify_all.
  std::atomic<int> stage{0};
  std::atomic<int> seen{0};
  std::vector<std::thread> ws;
  for (int i = 0; i < 6; ++i)
    ws.emplace_back([&] {
      stage.wait(0);
      seen.fetch_add(stage.load());
    });
  std::this_thread::sleep_for(50ms);
  report_os_threads();
  stage.store(2);
  stage.notify_all();
  for (auto& t : ws) t.join();
  std::printf("atomic wait: %d\n", seen.load());

  // Contended function-local static.
  std::vector<std::thread> gs;
  std::atomic<int> total{0};
  for (int i = 0; i < 6; ++i) gs.emplace_back([&] { total += slow_value(); });
  for (auto& t : gs) t.join();
  std::printf("static: %d, initialized %d time(s)\n", total.load(), slow_init_runs);

  // A counting semaphore limiting four workers to two at a time.
  std::counting_semaphore<2> slots(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> ss;
  for (int i = 0; i < 4; ++i)
    ss.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        slots.acquire();
        int n = ++inside;
        for (int m = most.load(); n > m && !most.compare_exchange_weak(m, n);) {
        }
        std::this_thread::sleep_for(2ms);
        --inside;
        slots.release();
      }
    });
  for (auto& t : ss) t.join();
  std::printf("semaphore: at most %d inside\n", most.load());

  // std::mutex and std::condition_variable with a timed wait.
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::thread producer([&] {
    std::this_thread::sleep_for(30ms);
    std::lock_guard<std::mutex> l(m);
    ready = true;
    cv.notify_one();
  });
  {
    std::unique_lock<std::mutex> l(m);
    bool ok = cv.wait_for(l, 10s, [&] { return ready; });
    std::printf("condition variable: %s\n", ok ? "signalled" : "timed out");
  }
  producer.join();

  // std::shared_mutex: readers share it, a writer excludes them; both block
  // (sleep) inside.
  std::shared_mutex rw;
  std::atomic<int> readers{0}, writers{0}, overlap{0}, max_readers{0};
  std::vector<std::thread> rs;
  for (int i = 0; i < 6; ++i)
    rs.emplace_back([&, i] {
      for (int k = 0; k < 10; ++k) {
        if (i < 2) {
          std::unique_lock<std::shared_mutex> l(rw);
          if (++writers != 1 || readers.load()) ++overlap;
          std::this_thread::sleep_for(1ms);
          --writers;
        } else {
          std::shared_lock<std::shared_mutex> l(rw);
          int n = ++readers;
          if (writers.load()) ++overlap;
          for (int m = max_readers.load(); n > m && !max_readers.compare_exchange_weak(m, n);) {
          }
          std::this_thread::sleep_for(1ms);
          --readers;
        }
      }
    });
  for (auto& t : rs) t.join();
  std::printf("shared_mutex: %d exclusion violations, readers shared it: %s\n", overlap.load(),
              max_readers.load() > 1 ? "yes" : "no");

  // std::call_once under contention: one runs the (blocking) function, the
  // others wait for it; a throwing attempt lets the next one try.
  std::once_flag once;
  std::atomic<int> calls{0}, attempts{0};
  std::vector<std::thread> os;
  for (int i = 0; i < 6; ++i)
    os.emplace_back([&] {
      try {
        std::call_once(once, [&] {
          if (attempts++ == 0) {
            std::this_thread::sleep_for(20ms);
            throw 1;
          }
          std::this_thread::sleep_for(20ms);
          ++calls;
        });
      } catch (int) {
      }
    });
  for (auto& t : os) t.join();
  std::printf("call_once: %d completed call(s) after %d attempt(s)\n", calls.load(), attempts.load());
  return 0;
}
