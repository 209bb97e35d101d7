#include "timer.h"

#include <cstdlib>

namespace rt {

TimerHeap::~TimerHeap() { free(v_); }

bool TimerHeap::arm(Timer* t, int64_t deadline) {
  if (t->armed()) disarm(t);
  if (n_ == cap_) {
    size_t cap = cap_ ? cap_ * 2 : 64;
    auto* nv = static_cast<Timer**>(realloc(v_, cap * sizeof(Timer*)));
    if (!nv) return false;
    v_ = nv;
    cap_ = cap;
  }
  t->deadline = deadline;
  place(n_, t);
  up(n_++);
  return true;
}

void TimerHeap::disarm(Timer* t) {
  if (!t->armed()) return;
  size_t i = size_t(t->index);
  t->index = -1;
  Timer* last = v_[--n_];
  if (i == n_) return;
  place(i, last);
  if (i > 0 && last->deadline < v_[(i - 1) / 2]->deadline) up(i);
  else down(i);
}

unsigned TimerHeap::fire_due(int64_t now) {
  unsigned k = 0;
  while (n_ && v_[0]->deadline <= now) {
    Timer* t = v_[0];
    disarm(t);
    ++k;
    t->fire(t);
  }
  return k;
}

void TimerHeap::up(size_t i) {
  Timer* t = v_[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (v_[p]->deadline <= t->deadline) break;
    place(i, v_[p]);
    i = p;
  }
  place(i, t);
}

void TimerHeap::down(size_t i) {
  Timer* t = v_[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n_) break;
    if (c + 1 < n_ && v_[c + 1]->deadline < v_[c]->deadline) ++c;
    if (t->deadline <= v_[c]->deadline) break;
    place(i, v_[c]);
    i = c;
  }
  place(i, t);
}

}  // namespace rt
