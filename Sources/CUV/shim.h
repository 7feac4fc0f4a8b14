#ifndef LITUV_CUV_SHIM_H
#define LITUV_CUV_SHIM_H

#include <uv.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/// Sets SO_REUSEPORT on a socket (libuv 1.44 has no flag for it). Returns 0 or -errno.
static inline int CUV_set_reuseport(uv_os_sock_t fd) {
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) { return -errno; }
    return 0;
}

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

/// Accepts one connection waiting in a listening socket's backlog, non-blocking and close-on-exec. Returns the new
/// socket, or -errno (-EAGAIN when the backlog is empty).
static inline int CUV_accept_pending(uv_os_sock_t listener) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

/// Bytes received by the kernel on a connected socket and not read yet (FIONREAD), or 0 when unknown.
static inline int CUV_unread_bytes(uv_os_sock_t fd) {
    int count = 0;
    if (ioctl(fd, FIONREAD, &count) != 0) { return 0; }
    return count;
}

/// Names the calling thread (as shown by top -H); at most 15 bytes are kept.
static inline void CUV_set_thread_name(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

#include <signal.h>
#include <pthread.h>

/// Unblocks `signum` for the calling thread (a parent may have spawned us with it blocked). Returns 0 or an errno.
static inline int CUV_unblock_signal(int signum) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

#include <sys/signalfd.h>
#include <unistd.h>

/// A close-on-exec, non-blocking signalfd for the signals in `mask` (which the caller has blocked). Returns the
/// descriptor or -errno. (The process supervisor waits on it with poll; Glibc's Swift module lacks signalfd.)
static inline int CUV_signalfd(const sigset_t *mask) {
    int fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd >= 0 ? fd : -errno;
}

/// Reads one signal from a signalfd: its number, and the sender's pid. Returns 0, or -errno (-EAGAIN: none pending).
static inline int CUV_read_signal(int fd, int *signo, int *sender) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n != (ssize_t)sizeof(info)) { return n < 0 ? -errno : -EIO; }
    *signo = (int)info.ssi_signo;
    *sender = (int)info.ssi_pid;
    return 0;
}

/// Asks the kernel to send `signum` to the calling process when its parent exits (PR_SET_PDEATHSIG; prctl is
/// variadic, which Swift cannot call). Returns 0 or -errno.
static inline int CUV_set_parent_death_signal(int signum) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signum, 0, 0, 0) == 0 ? 0 : -errno;
}

#endif
