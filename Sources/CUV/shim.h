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

#endif
