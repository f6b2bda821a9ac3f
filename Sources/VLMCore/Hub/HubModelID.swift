import Foundation

/// A model on the hub: `org/name`, optionally `@revision` (branch, tag or commit; default `main`).
public struct HubModelID: Sendable, Hashable, CustomStringConvertible {
    public let repo: String
    public let revision: String

    public static let defaultRevision = "main"

    /// Parses `org/name[@revision]`; nil when the text is not a valid hub id (huggingface_hub's
    /// rules: letters, digits, `-`, `_`, `.`; no `--` or `..`; a segment does not start or end with
    /// `-` or `.`).
    public init?(parsing text: String) {
        var repoPart = Substring(text)
        var revision = Self.defaultRevision
        if let at = text.firstIndex(of: "@") {
            repoPart = text[..<at]
            revision = String(text[text.index(after: at)...])
            guard !revision.isEmpty, !revision.contains(where: \.isWhitespace), !revision.contains("..") else {
                return nil
            }
        }
        let segments = repoPart.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 2, segments.allSatisfy(Self.isValidSegment) else { return nil }
        self.repo = String(repoPart)
        self.revision = revision
    }

    public init(repo: String, revision: String = HubModelID.defaultRevision) {
        self.repo = repo
        self.revision = revision
    }

    private static func isValidSegment(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 96, !s.contains("--"), !s.contains("..") else { return false }
        guard let first = s.first, let last = s.last, !"-.".contains(first), !"-.".contains(last) else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// The cache folder name huggingface_hub uses: `models--org--name`.
    public var cacheFolderName: String { "models--" + repo.replacingOccurrences(of: "/", with: "--") }

    /// True when `revision` is a full commit hash (then no ref file is involved).
    public var revisionIsCommit: Bool { Self.isCommitHash(revision) }

    static func isCommitHash(_ s: String) -> Bool {
        s.count == 40 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public var description: String { revision == Self.defaultRevision ? repo : "\(repo)@\(revision)" }
}
