import CZMQ

extension ZMQContext {
    /// The libzmq linked at run time (`zmq_version`), e.g. `4.3.4`; `vlmnode doctor` prints it.
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
