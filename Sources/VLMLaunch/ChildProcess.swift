import CVLMProcess
import Foundation

/// Errors from the process calls the launcher makes, with the original errno.
public struct ProcessError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32

    public var description: String { "\(operation): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Thin Swift face of the C spawn shim: a node's main process, leader of its own process group.
enum ChildProcess {
    /// Starts `argv[0]` (an absolute path) with stdout+stderr to `outFD`, in a new process group, with
    /// SIGTERM as its parent-death signal. Call from the thread that supervises: the death signal
    /// fires when that thread ends.
    static func spawn(argv: [String], environment: [String: String], cwd: String?, inFD: Int32 = -1, outFD: Int32) throws -> pid_t {
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        let pid: pid_t = cArgv.withUnsafeBufferPointer { argvBuf in
            cEnv.withUnsafeBufferPointer { envBuf in
                if let cwd {
                    return cwd.withCString { vlm_spawn_io(argv[0], argvBuf.baseAddress, envBuf.baseAddress, $0, inFD, outFD, SIGTERM) }
                }
                return vlm_spawn_io(argv[0], argvBuf.baseAddress, envBuf.baseAddress, nil, inFD, outFD, SIGTERM)
            }
        }
        if pid < 0 { throw ProcessError(operation: "cannot start \(argv[0])", errno: -pid) }
        return pid
    }

    /// A pipe whose both ends are close-on-exec; the read end is non-blocking.
    static func outputPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        let r = vlm_pipe_cloexec(&fds)
        guard r == 0 else { throw ProcessError(operation: "pipe", errno: -r) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// A pipe for a child's stdin: both ends close-on-exec, the write end non-blocking.
    static func inputPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        let r = vlm_pipe_cloexec(&fds)
        guard r == 0 else { throw ProcessError(operation: "pipe", errno: -r) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// How a wait status reads in a log line, and whether it counts as success.
    static func describe(status: Int32) -> (text: String, success: Bool, signal: Int32?) {
        if vlm_wifexited(status) != 0 {
            let code = vlm_wexitstatus(status)
            return ("exited with status \(code)", code == 0, nil)
        }
        if vlm_wifsignaled(status) != 0 {
            let sig = vlm_wtermsig(status)
            return ("killed by signal \(sig) (\(signalName(sig)))", false, sig)
        }
        return ("ended with wait status \(status)", false, nil)
    }

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGKILL: "SIGKILL"
        case SIGHUP: "SIGHUP"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(sig)"
        }
    }
}

/// The guardian that ends every node group if the launcher dies without tearing down (SIGKILL).
final class Guardian {
    private var fd: Int32
    let pid: pid_t

    init(graceMilliseconds: Int32) throws {
        var pid: pid_t = 0
        let fd = vlm_guardian_start(graceMilliseconds, &pid)
        if fd < 0 { throw ProcessError(operation: "cannot start the guardian process", errno: -fd) }
        self.fd = fd
        self.pid = pid
    }

    func watch(group: pid_t) { send(Int32(group)) }
    func forget(group: pid_t) { send(-Int32(group)) }

    /// Normal teardown done: tell the guardian to exit without killing anything, and reap it.
    func disarm() {
        guard fd >= 0 else { return }
        send(0)
        close(fd)
        fd = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    private func send(_ value: Int32) {
        guard fd >= 0 else { return }
        var v = value
        _ = withUnsafeBytes(of: &v) { write(fd, $0.baseAddress, 4) }
    }

    deinit { disarm() }
}
