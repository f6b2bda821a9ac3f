#define _GNU_SOURCE
#include "vlm_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Closes every descriptor >= `from` except `keep` (-1: none). close_range when the kernel has it.
static void close_from(int from, int keep) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
#ifdef SYS_close_range
    if (keep < 0) {
        if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
    } else {
        int ok = 1;
        if (keep > from && syscall(SYS_close_range, (unsigned)from, (unsigned)(keep - 1), 0) != 0) ok = 0;
        if (ok && syscall(SYS_close_range, (unsigned)(keep + 1), ~0U, 0) == 0) return;
    }
#endif
    for (int fd = from; fd < max; fd++) {
        if (fd != keep) close(fd);
    }
}

static void reset_signals(void) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
}

pid_t vlm_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                int out_fd, int death_signal) {
    return vlm_spawn_io(path, argv, envp, cwd, -1, out_fd, death_signal);
}

pid_t vlm_spawn_io(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int in_fd, int out_fd, int death_signal) {
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return -e;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls until execve.
        int err = 0;
        reset_signals();
        setpgid(0, 0);
        if (death_signal > 0) {
            prctl(PR_SET_PDEATHSIG, death_signal);
            // The parent may have died between fork and prctl: then nobody would signal us.
            if (getppid() != parent) _exit(128 + death_signal);
        }
        if (in_fd >= 0) {
            if (dup2(in_fd, 0) < 0) { err = errno; goto fail; }
        } else {
            int devnull = open("/dev/null", O_RDONLY);
            if (devnull < 0 || dup2(devnull, 0) < 0) { err = errno; goto fail; }
        }
        if (out_fd >= 0) {
            if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) { err = errno; goto fail; }
        }
        close_from(3, errpipe[1]);
        if (cwd && chdir(cwd) != 0) { err = errno; goto fail; }
        execve(path, argv, envp);
        err = errno;
    fail:
        (void)!write(errpipe[1], &err, sizeof err);
        _exit(127);
    }
    // Parent: also set the group here, so a signal sent right after we return finds it.
    setpgid(pid, pid);
    close(errpipe[1]);
    int child_err = 0;
    ssize_t n;
    do { n = read(errpipe[0], &child_err, sizeof child_err); } while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == (ssize_t)sizeof child_err) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -(child_err ? child_err : ECHILD);
    }
    return pid;
}

#define VLM_MAX_GROUPS 4096

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void guardian_main(int fd, int grace_ms) {
    static pid_t groups[VLM_MAX_GROUPS];
    int count = 0;
    for (;;) {
        int32_t v;
        ssize_t n = read(fd, &v, sizeof v);
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof v) break; // EOF (or a torn write): the launcher is gone.
        if (v == 0) _exit(0);
        if (v > 0) {
            if (count < VLM_MAX_GROUPS) groups[count++] = v;
        } else {
            for (int i = 0; i < count; i++) {
                if (groups[i] == -v) { groups[i] = groups[--count]; break; }
            }
        }
    }
    for (int i = 0; i < count; i++) kill(-groups[i], SIGTERM);
    for (int waited = 0; waited < grace_ms; waited += 50) {
        int alive = 0;
        for (int i = 0; i < count; i++) {
            if (kill(-groups[i], 0) == 0) alive = 1;
        }
        if (!alive) _exit(0);
        sleep_ms(50);
    }
    for (int i = 0; i < count; i++) kill(-groups[i], SIGKILL);
    _exit(0);
}

int vlm_guardian_start(int grace_ms, pid_t *guardian_pid) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (pid == 0) {
        // Own group: a Ctrl-C on the launcher's terminal must not take the guardian down first.
        setpgid(0, 0);
        reset_signals();
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); }
        close_from(3, fds[0]);
        guardian_main(fds[0], grace_ms);
        _exit(0);
    }
    close(fds[0]);
    *guardian_pid = pid;
    return fds[1];
}

static volatile sig_atomic_t signal_write_fd = -1;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (signal_write_fd >= 0) (void)!write(signal_write_fd, &b, 1);
    errno = saved;
}

int vlm_signal_pipe_install(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
    signal_write_fd = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return fds[0];
}

void vlm_signal_pipe_uninstall(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

int vlm_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}
