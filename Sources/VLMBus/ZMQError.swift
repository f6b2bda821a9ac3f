import CZMQ

/// A failed libzmq call: the operation, what it was applied to (an endpoint, an option), the
/// original errno and libzmq's text for it.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The errno value libzmq reported (e.g. `EADDRINUSE`).
    public let code: Int32
    /// `zmq_strerror(code)`.
    public let message: String
    /// What was attempted, e.g. `bind`, `connect`, `setsockopt ZMQ_SNDHWM`.
    public let operation: String
    /// The endpoint or other subject of the operation, when there is one.
    public let subject: String?

    public init(code: Int32, operation: String, subject: String? = nil) {
        self.code = code
        self.message = String(cString: zmq_strerror(code))
        self.operation = operation
        self.subject = subject
    }

    public var description: String {
        if let subject { return "cannot \(operation) \(subject): \(message) (errno \(code))" }
        return "cannot \(operation): \(message) (errno \(code))"
    }

    /// The one place libzmq return codes become errors: `rc == -1` throws with the current errno.
    @inline(__always)
    static func check(_ rc: Int32, _ operation: @autoclosure () -> String,
                      subject: @autoclosure () -> String? = nil) throws {
        if rc == -1 { throw ZMQError(code: vlm_errno(), operation: operation(), subject: subject()) }
    }

    /// The errno of the last failed libzmq call on this thread.
    static var lastErrno: Int32 { vlm_errno() }
}
