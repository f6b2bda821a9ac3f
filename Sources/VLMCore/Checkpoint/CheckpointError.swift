import Foundation

/// Why a checkpoint could not be read. `description` is one line naming the file and the problem.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A system call failed (`code` holds errno).
        case io
        /// The file is damaged or lies about itself (bad header, offsets outside the data, ...).
        case malformed
        /// Valid but not something we read (unknown dtype, compressed zip entry, big-endian data).
        case unsupported
        /// A pickle asked for something a state dict never needs (e.g. `posix.system`). Nothing ran.
        case unsafe
        /// The folder or index does not contain what is needed.
        case missing
    }

    public let kind: Kind
    public let message: String
    /// errno for `.io` errors.
    public let code: Int32?

    public init(_ kind: Kind, _ message: String, code: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
