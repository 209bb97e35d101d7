// Per-fiber values of pthread keys (thread-specific data).
//
// Key numbers are allocated by the caller (interpose/ gets them from glibc's
// pthread_key_create, so a key means the same to fibers and to threads);
// this module keeps each fiber's values and runs the destructors when the
// fiber exits, as glibc does at thread exit (at most
// PTHREAD_DESTRUCTOR_ITERATIONS rounds). A stale value from a deleted and
// recreated key is never returned (per-key sequence numbers, as in glibc).
//
// get/set: F (the calling fiber's own values). created/deleted: T.
#pragma once

namespace rt {
struct Fiber;
}

namespace rt::keys {

constexpr unsigned kMax = 1024;  // PTHREAD_KEYS_MAX

void created(unsigned key, void (*dtor)(void*));
void deleted(unsigned key);
void* get(Fiber* f, unsigned key);
// 0, -EINVAL (not a live key) or -ENOMEM.
int set(Fiber* f, unsigned key, const void* value);
void run_destructors(Fiber* f);
void free_store(Fiber* f);

}  // namespace rt::keys
