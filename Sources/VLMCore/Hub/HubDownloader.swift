import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fetches single files of a hub repository into the cache: HEAD for metadata (commit, etag, size,
/// CDN location), then a streamed GET into blobs/<etag>.incomplete, resumed with Range when a
/// partial file is there, renamed atomically to blobs/<etag>, and linked from the snapshot.
final class HubDownloader {
    /// What a HEAD on a resolve URL told us.
    struct Metadata {
        let commit: String?
        let etag: String
        let size: Int64?
        /// Where the bytes are (the CDN location of a 302, else the resolve URL itself).
        let location: URL
    }

    let settings: HubSettings
    let cache: HubCache
    let http: HubHTTP
    weak var progress: DownloadProgress?

    init(settings: HubSettings, cache: HubCache, progress: DownloadProgress?, http: HubHTTP = HubHTTP()) {
        self.settings = settings
        self.cache = cache
        self.progress = progress
        self.http = http
    }

    /// {endpoint}/{repo}/resolve/{revision}/{file}, revision fully escaped, file keeping its slashes.
    func resolveURL(_ id: HubModelID, revision: String, file: String) -> URL {
        var pathSafe = CharacterSet.urlPathAllowed
        pathSafe.remove(charactersIn: "?#;")
        var revisionSafe = pathSafe
        revisionSafe.remove("/")
        let rev = revision.addingPercentEncoding(withAllowedCharacters: revisionSafe) ?? revision
        let name = file.addingPercentEncoding(withAllowedCharacters: pathSafe) ?? file
        return URL(string: "\(settings.endpoint.absoluteString)/\(id.repo)/resolve/\(rev)/\(name)")!
    }

    func requestHeaders(for url: URL) -> [String: String] {
        var headers = ["Accept-Encoding": "identity", "User-Agent": "vlmnode (huggingface_hub-compatible cache)"]
        if let token = settings.token, url.host == settings.endpoint.host, url.port == settings.endpoint.port {
            headers["Authorization"] = "Bearer \(token)"
        }
        return headers
    }

    /// HEAD `file`; nil when the hub says the file does not exist (404 EntryNotFound).
    func metadata(_ id: HubModelID, revision: String, file: String) throws -> Metadata? {
        var url = resolveURL(id, revision: revision, file: file)
        var answer = try http.head(url, headers: requestHeaders(for: url))
        // Follow same-host redirects that carry no file metadata (renamed repositories), not the CDN one.
        var hops = 0
        while (300..<400).contains(answer.status), answer.header("x-linked-etag") == nil, answer.header("etag") == nil,
              let location = answer.header("location"), let next = URL(string: location, relativeTo: url)?.absoluteURL,
              next.host == url.host, hops < 5 {
            url = next
            answer = try http.head(url, headers: requestHeaders(for: url))
            hops += 1
        }
        let code = answer.header("x-error-code")
        switch answer.status {
        case 200..<400:
            break
        case 401, 403:
            let hint = settings.token == nil ? "set HF_TOKEN if it is gated or private" : "HF_TOKEN was sent and refused"
            throw HubError(.unauthorized, "\(id): access denied by \(url.host ?? "the hub") (HTTP \(answer.status)"
                           + (code.map { " \($0)" } ?? "") + "): the repository does not exist, or \(hint)",
                           code: answer.status)
        case 404 where code == "RevisionNotFound":
            throw HubError(.notFound, "\(id): revision \(revision) not found (\(url.absoluteString), HTTP 404)", code: 404)
        case 404 where code == "RepositoryNotFound":
            throw HubError(.notFound, "\(id): repository not found (\(url.absoluteString), HTTP 404)", code: 404)
        case 404:
            return nil
        default:
            throw HubError(.http, "\(id): HEAD \(url.absoluteString) answered HTTP \(answer.status)"
                           + (answer.errorBody.isEmpty ? "" : ": \(answer.errorBody)"), code: answer.status)
        }
        guard let rawTag = answer.header("x-linked-etag") ?? answer.header("etag"), let etag = Self.normalize(etag: rawTag) else {
            throw HubError(.badResponse, "\(id): no usable ETag for \(file) from \(url.absoluteString)")
        }
        let redirected = (300..<400).contains(answer.status)
        let sizeText = answer.header("x-linked-size") ?? (redirected ? nil : answer.header("content-length"))
        var location = url
        if redirected {
            guard let target = answer.header("location"), let next = URL(string: target, relativeTo: url)?.absoluteURL else {
                throw HubError(.badResponse, "\(id): HTTP \(answer.status) without Location for \(url.absoluteString)")
            }
            location = next
        }
        return Metadata(commit: answer.header("x-repo-commit"), etag: etag, size: sizeText.flatMap { Int64($0) },
                        location: location)
    }

    /// `"abc"`, `W/"abc"` -> `abc`; nil unless the result is a safe file name.
    static func normalize(etag: String) -> String? {
        var tag = etag.trimmingCharacters(in: .whitespaces)
        if tag.hasPrefix("W/") { tag.removeFirst(2) }
        tag = tag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard !tag.isEmpty, tag != ".", tag != "..", tag.count <= 200,
              tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
        return tag
    }

    /// Makes snapshots/<commit>/<file> available: links an existing blob, else downloads it.
    /// Returns the bytes transferred (0 when the blob was already cached).
    @discardableResult
    func fetch(_ id: HubModelID, commit: String, file: String, metadata meta: Metadata) throws -> Int64 {
        let blob = cache.blobFile(id, etag: meta.etag)
        if FileManager.default.fileExists(atPath: blob.path) {
            try cache.link(id, commit: commit, file: file, etag: meta.etag)
            return 0
        }
        try cache.createDirectory(blob.deletingLastPathComponent())
        let transferred = try cache.withBlobLock(id, etag: meta.etag) { () throws -> Int64 in
            if FileManager.default.fileExists(atPath: blob.path) { return 0 }  // another process finished it
            return try download(id, file: file, meta: meta, into: blob)
        }
        try cache.link(id, commit: commit, file: file, etag: meta.etag)
        return transferred
    }

    private func download(_ id: HubModelID, file: String, meta: Metadata, into blob: URL) throws -> Int64 {
        let partial = URL(fileURLWithPath: blob.path + ".incomplete")
        let fm = FileManager.default
        if !fm.fileExists(atPath: partial.path) { _ = fm.createFile(atPath: partial.path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: partial.path) else {
            throw HubError(.io, "cannot open \(partial.path) for writing")
        }
        defer { try? handle.close() }
        var offset = Int64(try handle.seekToEnd())
        if let size = meta.size, offset > size {  // not our partial file: start over
            try handle.truncate(atOffset: 0)
            offset = 0
        }
        var written = offset, transferred: Int64 = 0
        if let size = meta.size, offset == size {
            // Complete already (interrupted just before the rename).
        } else {
            progress?.begin(file: file, total: meta.size, resumedFrom: offset)
            var headers = requestHeaders(for: meta.location)
            if offset > 0 { headers["Range"] = "bytes=\(offset)-" }
            var checked = false
            let answer: HTTPAnswer
            do {
                answer = try http.get(meta.location, headers: headers) { [progress] data, answer in
                    if !checked {
                        checked = true
                        if answer.status == 206 {
                            let start = answer.header("content-range").flatMap(Self.rangeStart)
                            guard start == offset else {
                                throw HubError(.badResponse, "\(id): \(file): asked for bytes from \(offset), got "
                                               + (answer.header("content-range") ?? "no Content-Range"))
                            }
                        } else if offset > 0 {  // the server ignored Range: start over
                            try handle.truncate(atOffset: 0)
                            written = 0
                        }
                    }
                    handle.write(data)
                    written += Int64(data.count)
                    transferred += Int64(data.count)
                    progress?.advance(to: written)
                }
            } catch {
                progress?.end(file: file, succeeded: false)
                throw error
            }
            let rangeSatisfied = answer.status == 416 && meta.size == offset
            guard (200..<300).contains(answer.status) || rangeSatisfied else {
                progress?.end(file: file, succeeded: false)
                if answer.status == 416 { try? handle.truncate(atOffset: 0) }  // a retry starts from scratch
                throw HubError(answer.status == 404 ? .notFound : .http,
                               "\(id): GET \(meta.location.absoluteString) for \(file) answered HTTP \(answer.status)",
                               code: answer.status)
            }
            progress?.end(file: file, succeeded: true)
        }
        if let size = meta.size, written != size {
            throw HubError(.badResponse, "\(id): \(file): received \(written) of \(size) bytes; "
                           + "the partial file \(partial.path) will be resumed next time")
        }
        try handle.synchronize()
        guard rename(partial.path, blob.path) == 0 else {
            throw HubError(.io, "cannot rename \(partial.path) to \(blob.lastPathComponent): errno \(errno)")
        }
        return transferred
    }

    /// "bytes 100-199/200" -> 100.
    static func rangeStart(_ contentRange: String) -> Int64? {
        guard contentRange.hasPrefix("bytes ") else { return nil }
        return Int64(contentRange.dropFirst(6).prefix { $0 != "-" })
    }
}
