// The one table of real libc functions behind the names ringlet defines
// (STYLE §3, proxychains-ng's load_sym). Resolved once, with dlsym(RTLD_NEXT),
// at start-up or at the first call that needs one, whichever comes first.
// A mandatory symbol that is missing, or that resolves to ringlet itself,
// stops the program with one clear line.
//
// Only functions ringlet itself defines are here; libc functions it merely
// uses (pthread_attr_*, pthread_mutexattr_*, ...) are called directly.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>

// X(name, return type, parameter list, mandatory)
#define RINGLET_REALS(X)                                                                         \
  X(read, ssize_t, (int, void*, size_t), 1)                                                      \
  X(fsync, int, (int), 1)                                                                        \
  X(fdatasync, int, (int), 1)                                                                    \
  X(write, ssize_t, (int, const void*, size_t), 1)                                               \
  X(readv, ssize_t, (int, const struct iovec*, int), 1)                                          \
  X(writev, ssize_t, (int, const struct iovec*, int), 1)                                         \
  X(pread, ssize_t, (int, void*, size_t, off_t), 1)                                              \
  X(pwrite, ssize_t, (int, const void*, size_t, off_t), 1)                                       \
  X(preadv, ssize_t, (int, const struct iovec*, int, off_t), 1)                                  \
  X(pwritev, ssize_t, (int, const struct iovec*, int, off_t), 1)                                 \
  X(preadv2, ssize_t, (int, const struct iovec*, int, off_t, int), 0)                            \
  X(pwritev2, ssize_t, (int, const struct iovec*, int, off_t, int), 0)                           \
  X(recv, ssize_t, (int, void*, size_t, int), 1)                                                 \
  X(recvfrom, ssize_t, (int, void*, size_t, int, struct sockaddr*, socklen_t*), 1)               \
  X(recvmsg, ssize_t, (int, struct msghdr*, int), 1)                                             \
  X(send, ssize_t, (int, const void*, size_t, int), 1)                                           \
  X(sendto, ssize_t, (int, const void*, size_t, int, const struct sockaddr*, socklen_t), 1)      \
  X(sendmsg, ssize_t, (int, const struct msghdr*, int), 1)                                       \
  X(accept, int, (int, struct sockaddr*, socklen_t*), 1)                                         \
  X(accept4, int, (int, struct sockaddr*, socklen_t*, int), 1)                                   \
  X(connect, int, (int, const struct sockaddr*, socklen_t), 1)                                   \
  X(poll, int, (struct pollfd*, nfds_t, int), 1)                                                 \
  X(ppoll, int, (struct pollfd*, nfds_t, const struct timespec*, const sigset_t*), 1)            \
  X(select, int, (int, fd_set*, fd_set*, fd_set*, struct timeval*), 1)                           \
  X(pselect, int, (int, fd_set*, fd_set*, fd_set*, const struct timespec*, const sigset_t*), 1)  \
  X(epoll_wait, int, (int, struct epoll_event*, int, int), 1)                                    \
  X(epoll_pwait, int, (int, struct epoll_event*, int, int, const sigset_t*), 1)                  \
  X(epoll_pwait2, int, (int, struct epoll_event*, int, const struct timespec*, const sigset_t*), 0) \
  X(sleep, unsigned, (unsigned), 1)                                                              \
  X(usleep, int, (useconds_t), 1)                                                                \
  X(nanosleep, int, (const struct timespec*, struct timespec*), 1)                               \
  X(clock_nanosleep, int, (clockid_t, int, const struct timespec*, struct timespec*), 1)         \
  X(sched_yield, int, (void), 1)                                                                 \
  X(setuid, int, (uid_t), 1)                                                                     \
  X(setgid, int, (gid_t), 1)                                                                     \
  X(seteuid, int, (uid_t), 1)                                                                    \
  X(setegid, int, (gid_t), 1)                                                                    \
  X(setreuid, int, (uid_t, uid_t), 1)                                                            \
  X(setregid, int, (gid_t, gid_t), 1)                                                            \
  X(setresuid, int, (uid_t, uid_t, uid_t), 1)                                                    \
  X(setresgid, int, (gid_t, gid_t, gid_t), 1)                                                    \
  X(setgroups, int, (size_t, const gid_t*), 1)                                                   \
  X(clock_gettime, int, (clockid_t, struct timespec*), 1)                                        \
  X(clock_getres, int, (clockid_t, struct timespec*), 1)                                         \
  X(fclose, int, (FILE*), 1)                                                                     \
  X(pclose, int, (FILE*), 1)                                                                     \
  X(vfork, pid_t, (void), 1)                                                                     \
  X(clone, int, (int (*)(void*), void*, int, void*, ...), 1)                                     \
  X(wait, pid_t, (int*), 1)                                                                      \
  X(waitpid, pid_t, (pid_t, int*, int), 1)                                                       \
  X(wait3, pid_t, (int*, int, struct rusage*), 1)                                                \
  X(wait4, pid_t, (pid_t, int*, int, struct rusage*), 1)                                         \
  X(waitid, int, (idtype_t, id_t, siginfo_t*, int), 1)                                           \
  X(pthread_create, int, (pthread_t*, const pthread_attr_t*, void* (*)(void*), void*), 1)       \
  X(pthread_join, int, (pthread_t, void**), 1)                                                   \
  X(pthread_tryjoin_np, int, (pthread_t, void**), 0)                                             \
  X(pthread_timedjoin_np, int, (pthread_t, void**, const struct timespec*), 0)                   \
  X(pthread_clockjoin_np, int, (pthread_t, void**, clockid_t, const struct timespec*), 0)        \
  X(pthread_detach, int, (pthread_t), 1)                                                         \
  X(pthread_exit, void, (void*), 1)                                                              \
  X(pthread_self, pthread_t, (void), 1)                                                          \
  X(pthread_getattr_np, int, (pthread_t, pthread_attr_t*), 1)                                    \
  X(pthread_setname_np, int, (pthread_t, const char*), 0)                                        \
  X(pthread_getname_np, int, (pthread_t, char*, size_t), 0)                                      \
  X(pthread_kill, int, (pthread_t, int), 1)                                                      \
  X(pthread_sigmask, int, (int, const sigset_t*, sigset_t*), 1)                                  \
  X(sigprocmask, int, (int, const sigset_t*, sigset_t*), 1)                                      \
  X(sigpending, int, (sigset_t*), 1)                                                             \
  X(sigaction, int, (int, const struct sigaction*, struct sigaction*), 1)                        \
  X(stat, int, (const char*, struct stat*), 1)                                                   \
  X(lstat, int, (const char*, struct stat*), 1)                                                  \
  X(fstatat, int, (int, const char*, struct stat*, int), 1)                                      \
  X(statx, int, (int, const char*, int, unsigned, struct statx*), 1)                             \
  X(sigtimedwait, int, (const sigset_t*, siginfo_t*, const struct timespec*), 1)                 \
  X(sigwait, int, (const sigset_t*, int*), 1)                                                    \
  X(sigsuspend, int, (const sigset_t*), 1)                                                       \
  X(pause, int, (void), 1)                                                                       \
  X(pthread_cancel, int, (pthread_t), 1)                                                         \
  X(pthread_testcancel, void, (void), 1)                                                         \
  X(pthread_setcancelstate, int, (int, int*), 1)                                                 \
  X(pthread_setcanceltype, int, (int, int*), 1)                                                  \
  X(__pthread_register_cancel, void, (__pthread_unwind_buf_t*), 1)                               \
  X(__pthread_unregister_cancel, void, (__pthread_unwind_buf_t*), 1)                             \
  X(__pthread_register_cancel_defer, void, (__pthread_unwind_buf_t*), 1)                         \
  X(__pthread_unregister_cancel_restore, void, (__pthread_unwind_buf_t*), 1)                     \
  X(__pthread_unwind_next, void, (__pthread_unwind_buf_t*), 1)                                   \
  X(pthread_getcpuclockid, int, (pthread_t, clockid_t*), 0)                                      \
  X(pthread_setschedparam, int, (pthread_t, int, const struct sched_param*), 0)                  \
  X(pthread_getschedparam, int, (pthread_t, int*, struct sched_param*), 0)                       \
  X(pthread_setschedprio, int, (pthread_t, int), 0)                                              \
  X(pthread_setaffinity_np, int, (pthread_t, size_t, const cpu_set_t*), 0)                       \
  X(pthread_getaffinity_np, int, (pthread_t, size_t, cpu_set_t*), 0)                             \
  X(pthread_key_create, int, (pthread_key_t*, void (*)(void*)), 1)                               \
  X(pthread_key_delete, int, (pthread_key_t), 1)                                                 \
  X(pthread_getspecific, void*, (pthread_key_t), 1)                                              \
  X(pthread_setspecific, int, (pthread_key_t, const void*), 1)                                   \
  X(pthread_mutex_init, int, (pthread_mutex_t*, const pthread_mutexattr_t*), 1)                  \
  X(pthread_mutex_lock, int, (pthread_mutex_t*), 1)                                              \
  X(pthread_mutex_trylock, int, (pthread_mutex_t*), 1)                                           \
  X(pthread_mutex_timedlock, int, (pthread_mutex_t*, const struct timespec*), 1)                 \
  X(pthread_mutex_clocklock, int, (pthread_mutex_t*, clockid_t, const struct timespec*), 0)      \
  X(pthread_mutex_unlock, int, (pthread_mutex_t*), 1)                                            \
  X(pthread_mutex_destroy, int, (pthread_mutex_t*), 1)                                           \
  X(pthread_cond_init, int, (pthread_cond_t*, const pthread_condattr_t*), 1)                     \
  X(pthread_cond_wait, int, (pthread_cond_t*, pthread_mutex_t*), 1)                              \
  X(pthread_cond_timedwait, int, (pthread_cond_t*, pthread_mutex_t*, const struct timespec*), 1) \
  X(pthread_cond_clockwait, int,                                                                 \
    (pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*), 0)                   \
  X(pthread_cond_signal, int, (pthread_cond_t*), 1)                                              \
  X(pthread_cond_broadcast, int, (pthread_cond_t*), 1)                                           \
  X(pthread_cond_destroy, int, (pthread_cond_t*), 1)                                             \
  X(pthread_barrier_init, int, (pthread_barrier_t*, const pthread_barrierattr_t*, unsigned), 1) \
  X(pthread_barrier_wait, int, (pthread_barrier_t*), 1)                                         \
  X(pthread_barrier_destroy, int, (pthread_barrier_t*), 1)                                      \
  X(pthread_rwlock_init, int, (pthread_rwlock_t*, const pthread_rwlockattr_t*), 1)              \
  X(pthread_rwlock_rdlock, int, (pthread_rwlock_t*), 1)                                          \
  X(pthread_rwlock_tryrdlock, int, (pthread_rwlock_t*), 1)                                       \
  X(pthread_rwlock_timedrdlock, int, (pthread_rwlock_t*, const struct timespec*), 1)             \
  X(pthread_rwlock_clockrdlock, int, (pthread_rwlock_t*, clockid_t, const struct timespec*), 0)  \
  X(pthread_rwlock_wrlock, int, (pthread_rwlock_t*), 1)                                          \
  X(pthread_rwlock_trywrlock, int, (pthread_rwlock_t*), 1)                                       \
  X(pthread_rwlock_timedwrlock, int, (pthread_rwlock_t*, const struct timespec*), 1)             \
  X(pthread_rwlock_clockwrlock, int, (pthread_rwlock_t*, clockid_t, const struct timespec*), 0)  \
  X(pthread_rwlock_unlock, int, (pthread_rwlock_t*), 1)                                          \
  X(pthread_rwlock_destroy, int, (pthread_rwlock_t*), 1)                                         \
  X(sem_init, int, (sem_t*, int, unsigned), 1)                                                   \
  X(sem_wait, int, (sem_t*), 1)                                                                  \
  X(sem_timedwait, int, (sem_t*, const struct timespec*), 1)                                     \
  X(sem_clockwait, int, (sem_t*, clockid_t, const struct timespec*), 0)                          \
  X(sem_trywait, int, (sem_t*), 1)                                                               \
  X(sem_post, int, (sem_t*), 1)

namespace ringlet::real {

#define RINGLET_DECLARE(name, ret, params, mandatory) extern ret(*name) params;
RINGLET_REALS(RINGLET_DECLARE)
#undef RINGLET_DECLARE

extern bool ready;
void resolve();

}  // namespace ringlet::real

// The real function `name`, resolving the table first if need be.
#define REAL(name) (__builtin_expect(::ringlet::real::ready, 1) ? 0 : (::ringlet::real::resolve(), 0), \
                    ::ringlet::real::name)
