/* pthread_once, in C so that a cleanup runs when the init routine is left by
 * unwinding (a C++ exception out of std::call_once's callable, or
 * cancellation): POSIX then lets the next caller run the routine again.
 * Built with -fexceptions for that cleanup. */
#include <pthread.h>

int ringlet_once_enter(pthread_once_t *ctl) __attribute__((visibility("hidden")));
void ringlet_once_done(pthread_once_t *ctl) __attribute__((visibility("hidden")));
void ringlet_once_abort(pthread_once_t *ctl) __attribute__((visibility("hidden")));

struct once_run {
  pthread_once_t *ctl;
  int finished;
};

static void once_unwound(struct once_run *r) {
  if (!r->finished) ringlet_once_abort(r->ctl);
}

__attribute__((visibility("default"))) int pthread_once(pthread_once_t *ctl, void (*init)(void)) {
  if (__atomic_load_n(ctl, __ATOMIC_ACQUIRE) & 2) return 0; /* done: glibc's encoding */
  if (ringlet_once_enter(ctl)) {
    struct once_run run __attribute__((cleanup(once_unwound))) = {ctl, 0};
    init();
    run.finished = 1;
    ringlet_once_done(ctl);
  }
  return 0;
}
