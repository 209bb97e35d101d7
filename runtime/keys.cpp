#include "keys.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "fiber.h"

namespace rt::keys {

namespace {

constexpr unsigned kBlock = 32;
constexpr unsigned kBlocks = kMax / kBlock;
constexpr int kDestructorRounds = 4;  // PTHREAD_DESTRUCTOR_ITERATIONS

struct KeyInfo {
  std::atomic<uint64_t> seq{0};  // odd while the key exists
  std::atomic<void (*)(void*)> dtor{nullptr};
};
constinit KeyInfo g_keys[kMax];

struct Entry {
  uint64_t seq;
  void* value;
};
struct Store {
  Entry* blocks[kBlocks];
};

}  // namespace

void created(unsigned key, void (*dtor)(void*)) {
  if (key >= kMax) return;
  g_keys[key].dtor.store(dtor, std::memory_order_relaxed);
  uint64_t s = g_keys[key].seq.load(std::memory_order_relaxed);
  g_keys[key].seq.store((s | 1) == s ? s + 2 : s + 1, std::memory_order_release);
}

void deleted(unsigned key) {
  if (key >= kMax) return;
  uint64_t s = g_keys[key].seq.load(std::memory_order_relaxed);
  if (s & 1) g_keys[key].seq.store(s + 1, std::memory_order_release);
}

void* get(Fiber* f, unsigned key) {
  auto* st = static_cast<Store*>(f->keys);
  if (!st || key >= kMax) return nullptr;
  Entry* b = st->blocks[key / kBlock];
  if (!b) return nullptr;
  Entry& e = b[key % kBlock];
  return e.seq == g_keys[key].seq.load(std::memory_order_acquire) ? e.value : nullptr;
}

int set(Fiber* f, unsigned key, const void* value) {
  if (key >= kMax) return -EINVAL;
  uint64_t seq = g_keys[key].seq.load(std::memory_order_acquire);
  if (!(seq & 1)) return -EINVAL;
  auto* st = static_cast<Store*>(f->keys);
  if (!st) {
    if (!value) return 0;
    st = static_cast<Store*>(calloc(1, sizeof(Store)));
    if (!st) return -ENOMEM;
    f->keys = st;
  }
  Entry*& b = st->blocks[key / kBlock];
  if (!b) {
    if (!value) return 0;
    b = static_cast<Entry*>(calloc(kBlock, sizeof(Entry)));
    if (!b) return -ENOMEM;
  }
  b[key % kBlock] = Entry{seq, const_cast<void*>(value)};
  return 0;
}

void run_destructors(Fiber* f) {
  for (int round = 0; round < kDestructorRounds; ++round) {
    auto* st = static_cast<Store*>(f->keys);
    if (!st) return;
    bool again = false;
    for (unsigned bi = 0; bi < kBlocks; ++bi) {
      Entry* b = st->blocks[bi];
      if (!b) continue;
      for (unsigned i = 0; i < kBlock; ++i) {
        Entry& e = b[i];
        if (!e.value) continue;
        unsigned key = bi * kBlock + i;
        void* v = e.value;
        e.value = nullptr;
        if (e.seq != g_keys[key].seq.load(std::memory_order_acquire)) continue;
        void (*d)(void*) = g_keys[key].dtor.load(std::memory_order_relaxed);
        if (d) {
          d(v);  // may set values again: another round
          again = true;
        }
      }
    }
    if (!again) return;
  }
}

void free_store(Fiber* f) {
  auto* st = static_cast<Store*>(f->keys);
  if (!st) return;
  for (Entry* b : st->blocks) free(b);
  free(st);
  f->keys = nullptr;
}

}  // namespace rt::keys
