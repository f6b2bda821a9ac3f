import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Hugging Face cache layout, exactly as huggingface_hub writes it, so that transformers finds
/// what we download and we find what it downloaded:
///
///     <cache>/models--ORG--NAME/refs/<revision>            the commit hash a branch or tag points to
///     <cache>/models--ORG--NAME/blobs/<etag>               file contents, named by etag
///     <cache>/models--ORG--NAME/blobs/<etag>.incomplete    a partial download (resumed with Range)
///     <cache>/models--ORG--NAME/snapshots/<commit>/<file>  -> ../../blobs/<etag> (relative symlink)
///     <cache>/models--ORG--NAME/.no_exist/<commit>/<file>  marks a file the hub does not have
///     <cache>/.locks/models--ORG--NAME/<etag>.lock         one downloader per blob
public struct HubCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func repoFolder(_ id: HubModelID) -> URL { root.appendingPathComponent(id.cacheFolderName, isDirectory: true) }
    func refFile(_ id: HubModelID) -> URL { repoFolder(id).appendingPathComponent("refs/" + id.revision) }
    public func snapshotFolder(_ id: HubModelID, commit: String) -> URL {
        repoFolder(id).appendingPathComponent("snapshots/" + commit, isDirectory: true)
    }
    func blobFile(_ id: HubModelID, etag: String) -> URL { repoFolder(id).appendingPathComponent("blobs/" + etag) }
    func noExistMarker(_ id: HubModelID, commit: String, file: String) -> URL {
        repoFolder(id).appendingPathComponent(".no_exist/\(commit)/\(file)")
    }
    func lockFile(_ id: HubModelID, etag: String) -> URL {
        root.appendingPathComponent(".locks/\(id.cacheFolderName)/\(etag).lock")
    }

    /// The commit the cache knows for `id`: the revision itself when it is a commit hash with a
    /// snapshot, else the content of refs/<revision>.
    public func cachedCommit(_ id: HubModelID) -> String? {
        if id.revisionIsCommit {
            return FileManager.default.fileExists(atPath: snapshotFolder(id, commit: id.revision).path) ? id.revision : nil
        }
        guard let text = try? String(contentsOf: refFile(id), encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubModelID.isCommitHash(commit) ? commit : nil
    }

    func writeRef(_ id: HubModelID, commit: String) throws {
        guard !id.revisionIsCommit || id.revision != commit else { return }
        let file = refFile(id)
        try createDirectory(file.deletingLastPathComponent())
        if (try? String(contentsOf: file, encoding: .utf8)) == commit { return }
        try write(Data(commit.utf8), to: file)
    }

    func hasNoExistMarker(_ id: HubModelID, commit: String, file: String) -> Bool {
        FileManager.default.fileExists(atPath: noExistMarker(id, commit: commit, file: file).path)
    }

    func markNoExist(_ id: HubModelID, commit: String, file: String) throws {
        let marker = noExistMarker(id, commit: commit, file: file)
        try createDirectory(marker.deletingLastPathComponent())
        if !FileManager.default.fileExists(atPath: marker.path) { try write(Data(), to: marker) }
    }

    /// Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (as huggingface_hub
    /// does); where symlinks are impossible the blob is copied into the snapshot instead.
    func link(_ id: HubModelID, commit: String, file: String, etag: String) throws {
        let target = snapshotFolder(id, commit: commit).appendingPathComponent(file)
        try createDirectory(target.deletingLastPathComponent())
        let depth = file.split(separator: "/").count + 1  // file's folders + the commit folder
        let relative = String(repeating: "../", count: depth) + "blobs/" + etag
        let fm = FileManager.default
        if let existing = try? fm.destinationOfSymbolicLink(atPath: target.path), existing == relative { return }
        try? fm.removeItem(at: target)
        do {
            try fm.createSymbolicLink(atPath: target.path, withDestinationPath: relative)
        } catch {
            do { try fm.copyItem(at: blobFile(id, etag: etag), to: target) } catch {
                throw HubError(.io, "cannot link \(target.path) to its blob: \(error.localizedDescription)")
            }
        }
    }

    func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw HubError(.io, "cannot create \(url.path): \(error.localizedDescription)")
        }
    }

    func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw HubError(.io, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Runs `body` holding an exclusive flock on .locks/<repo>/<etag>.lock (huggingface_hub's lock
    /// files, so a concurrent Python download of the same blob waits for us and vice versa).
    func withBlobLock<T>(_ id: HubModelID, etag: String, _ body: () throws -> T) throws -> T {
        let lock = lockFile(id, etag: etag)
        try createDirectory(lock.deletingLastPathComponent())
        let fd = open(lock.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError(.io, "cannot open lock file \(lock.path): errno \(errno)") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw HubError(.io, "cannot lock \(lock.path): errno \(errno)") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// One cached model as `vlmnode models list` shows it.
public struct CachedModel: Sendable {
    public struct Snapshot: Sendable {
        public let commit: String
        /// Branches or tags (refs/…) pointing at this commit.
        public let refs: [String]
        public let folder: URL
        public let files: [String]
        /// Bytes of the files this snapshot's links resolve to.
        public let size: Int64
    }

    public let id: String
    public let folder: URL
    public let snapshots: [Snapshot]
    /// Bytes of every blob (shared between snapshots, counted once).
    public let size: Int64
    /// Partial downloads (`*.incomplete`) waiting to be resumed.
    public let incompleteBytes: Int64
}

extension HubCache {
    /// Every `models--*` folder of the cache with its snapshots, refs and sizes, sorted by id.
    public func cachedModels() -> [CachedModel] {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: root.path) else { return [] }
        return entries.filter { $0.hasPrefix("models--") }.sorted().map { name in
            let folder = root.appendingPathComponent(name, isDirectory: true)
            let id = name.dropFirst("models--".count).components(separatedBy: "--").joined(separator: "/")
            var refs: [String: [String]] = [:]
            let refsFolder = folder.appendingPathComponent("refs")
            for ref in regularFiles(under: refsFolder) {
                if let commit = try? String(contentsOf: refsFolder.appendingPathComponent(ref), encoding: .utf8) {
                    refs[commit.trimmingCharacters(in: .whitespacesAndNewlines), default: []].append(ref)
                }
            }
            let snapshotsFolder = folder.appendingPathComponent("snapshots")
            let commits = ((try? fm.contentsOfDirectory(atPath: snapshotsFolder.path)) ?? []).sorted()
            let snapshots = commits.map { commit -> CachedModel.Snapshot in
                let dir = snapshotsFolder.appendingPathComponent(commit, isDirectory: true)
                let files = regularFiles(under: dir)
                let size = files.reduce(Int64(0)) { $0 + fileSize(dir.appendingPathComponent($1)) }
                return .init(commit: commit, refs: (refs[commit] ?? []).sorted(), folder: dir, files: files, size: size)
            }
            let blobs = folder.appendingPathComponent("blobs")
            var size: Int64 = 0, incomplete: Int64 = 0
            for blob in (try? fm.contentsOfDirectory(atPath: blobs.path)) ?? [] {
                let bytes = fileSize(blobs.appendingPathComponent(blob))
                if blob.hasSuffix(".incomplete") { incomplete += bytes } else { size += bytes }
            }
            return CachedModel(id: id, folder: folder, snapshots: snapshots, size: size, incompleteBytes: incomplete)
        }
    }

    /// Paths of files (or symlinks to files) below `folder`, relative to it, sorted.
    func regularFiles(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = folder.appendingPathComponent(path).path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }
}

/// Size of the file at `url` after following symlinks; 0 when it cannot be read.
func fileSize(_ url: URL) -> Int64 {
    var info = stat()
    return stat(url.path, &info) == 0 ? Int64(info.st_size) : 0
}
