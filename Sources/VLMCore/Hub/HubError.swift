import Foundation

/// Why a model could not be found or fetched. `description` is one line naming the model, the file,
/// the URL or the cache path involved.
public struct HubError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Not a local folder and not a valid `org/name[@revision]` hub id.
        case invalidModelID
        /// HF_HUB_OFFLINE is set and the cache does not hold the model.
        case offline
        /// The hub has no such repository, revision or (required) file.
        case notFound
        /// The hub refused access (gated or private repository, bad token).
        case unauthorized
        /// Any other HTTP status (`code` holds it).
        case http
        /// No answer (connection refused, DNS, timeout...).
        case network
        /// The answer lacks what the cache layout needs (commit, etag) or the bytes do not add up.
        case badResponse
        /// Reading or writing the cache failed.
        case io
        /// The files are there but do not make a usable model folder (no weights, no tokenizer...).
        case incompleteModel
    }

    public let kind: Kind
    public let message: String
    /// The HTTP status for `.http`, `.notFound` and `.unauthorized` when one was received.
    public let code: Int?

    public init(_ kind: Kind, _ message: String, code: Int? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
