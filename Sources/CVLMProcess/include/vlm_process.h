// Process control the launcher needs and Swift cannot express safely: fork/exec with a new process
// group and a parent-death signal (the child runs only this C code between fork and exec), the
// guardian process that tears node groups down when the launcher is SIGKILLed, an async-signal-safe
// self-pipe for signals, and the wait-status macros.
#ifndef VLM_PROCESS_H
#define VLM_PROCESS_H

#include <sys/types.h>
#include <sys/wait.h>

/// Spawns `path` with `argv`/`envp` (NULL-terminated) in a new process group of its own, stdin from
/// /dev/null, stdout and stderr to `out_fd`, working directory `cwd` (NULL: inherit). When
/// `death_signal` is non-zero the child gets it when the spawning *thread* ends (PR_SET_PDEATHSIG).
/// Every other descriptor is closed in the child. Returns the pid, or -errno (exec errors included:
/// they come back through a close-on-exec pipe, so a missing program is an error here, not a child
/// that exits 127).
pid_t vlm_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                int out_fd, int death_signal);

/// `vlm_spawn` with stdin from `in_fd` (when >= 0; /dev/null otherwise): a remote node's ssh
/// client reads the node's handover from it, and its closing is the node's stop.
pid_t vlm_spawn_io(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   int in_fd, int out_fd, int death_signal);

/// Forks the guardian: a process in its own group that reads process-group ids from a pipe
/// (int32 > 0: watch, < 0: forget, 0: disarm and exit) and, when the pipe reaches EOF without a
/// disarm (the launcher died, even by SIGKILL), sends SIGTERM to every watched group, waits up to
/// `grace_ms`, then SIGKILLs what is left. Returns the pipe's write end (close-on-exec) or -errno;
/// the guardian's pid goes to `*guardian_pid`.
int vlm_guardian_start(int grace_ms, pid_t *guardian_pid);

/// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGCHLD that write the signal number (one
/// byte) to a non-blocking close-on-exec pipe, and ignores SIGPIPE. Returns the read end or -errno.
int vlm_signal_pipe_install(void);

/// pipe2(O_CLOEXEC) (not visible to Swift without _GNU_SOURCE). Returns 0 or -errno.
int vlm_pipe_cloexec(int fds[2]);

/// Restores default dispositions for the signals above.
void vlm_signal_pipe_uninstall(void);

static inline int vlm_wifexited(int status) { return WIFEXITED(status); }
static inline int vlm_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int vlm_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int vlm_wtermsig(int status) { return WTERMSIG(status); }

#endif
