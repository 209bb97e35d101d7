#ifndef EARLY_LIB_H
#define EARLY_LIB_H
#include <pthread.h>
#include <semaphore.h>

struct channel {
  pthread_mutex_t mu;
  pthread_cond_t more;
  sem_t ack;
  pthread_t thread;
  long items[64];
  int queued;
  int closing;
  long consumed, sum;
};
extern struct channel early_channel;
#endif
