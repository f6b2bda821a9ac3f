import Foundation

/// A model folder ready to load, and where it came from.
public struct ResolvedModel: Sendable {
    public enum Source: String, Sendable {
        case localFolder = "local folder", cache = "cache", download = "download"
    }

    public let folder: URL
    public let source: Source
    /// The hub id for cache and download sources.
    public let id: HubModelID?
    /// The snapshot's commit for cache and download sources.
    public let commit: String?

    public init(folder: URL, source: Source, id: HubModelID?, commit: String?) {
        self.folder = folder
        self.source = source
        self.id = id
        self.commit = commit
    }
}

/// Turns a `--model` value into a model folder: a local folder as given; else a hub id
/// (`org/name[@revision]`, or a short name such as `owlvit`, see `ModelAliases`) found in the Hugging Face cache; else downloaded from
/// `$HF_ENDPOINT/{repo}/resolve/{revision}/{file}` into that cache (see `HubCache` for the layout).
///
///     let model = try ModelStore().resolve("openai/clip-vit-base-patch32")
///     let checkpoint = try Checkpoint.open(folder: model.folder.path)
///
/// A cached snapshot is used without any network access when it holds a complete model (config,
/// weights, tokenizer, processor config, and every optional file either present or known missing).
/// HF_HUB_OFFLINE=1 forbids the network: a usable snapshot is still used, anything else is an error
/// naming the model and the cache path looked at.
public final class ModelStore {
    public let settings: HubSettings
    public let cache: HubCache
    /// Per-file progress (a terminal bar on stderr by default when stderr is a terminal).
    public var progress: DownloadProgress?
    /// One-line notes about downloads ("downloading X into Y"); stderr by default.
    public var notice: ((String) -> Void)? = { FileHandle.standardError.write(Data(("vlmnode: " + $0 + "\n").utf8)) }

    public init(settings: HubSettings = HubSettings(), progress: DownloadProgress? = TerminalProgressBar.ifInteractive()) {
        self.settings = settings
        self.cache = HubCache(root: settings.cacheDirectory)
        self.progress = progress
    }

    /// Resolves a `--model` value (local folder, cached hub model, or hub model to download).
    /// A local folder needs config.json and weights; a hub snapshot also a tokenizer and an image
    /// processor config.
    public func resolve(_ model: String) throws -> ResolvedModel {
        if let folder = try localFolder(model) {
            if let problem = ModelFiles.problem(in: folder, weightsOnly: true) {
                throw HubError(.incompleteModel, "\(folder.path) is not a usable model folder: \(problem)")
            }
            return ResolvedModel(folder: folder, source: .localFolder, id: nil, commit: nil)
        }
        let id = try Self.hubID(model)
        if let cached = cachedSnapshot(id, strict: !settings.offline) { return cached }
        if settings.offline { throw offlineError(id) }
        return try download(id)
    }

    /// Asks the hub for the revision's current commit and downloads whatever the cache lacks.
    public func pull(_ id: HubModelID) throws -> ResolvedModel {
        if settings.offline { throw offlineError(id) }
        return try download(id)
    }

    /// What the cache holds.
    public func cachedModels() -> [CachedModel] { cache.cachedModels() }

    /// The folder for `model` if it names an existing local folder; throws for a path to a file.
    public func localFolder(_ model: String) throws -> URL? {
        let path = model.hasPrefix("~/") ? NSHomeDirectory() + model.dropFirst(1) : model
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else {
            throw HubError(.invalidModelID, "\(model) is a file, not a model folder")
        }
        return URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    /// Parses a hub id or a short name (`ModelAliases`: `owlvit`, `clip`…), or explains that `model`
    /// is neither a folder nor either of those.
    public static func hubID(_ model: String) throws -> HubModelID {
        guard let id = HubModelID(parsing: ModelAliases.expand(model) ?? model) else {
            throw HubError(.invalidModelID, "\(model): no such model folder, and not a hub id (org/name[@revision]) "
                           + "or a short name (\(ModelAliases.names))")
        }
        return id
    }

    /// The cached snapshot for `id`, if usable. `strict` also requires every optional file to be
    /// either present or recorded as missing (.no_exist), so nothing could be gained online.
    public func cachedSnapshot(_ id: HubModelID, strict: Bool) -> ResolvedModel? {
        guard let commit = cache.cachedCommit(id) else { return nil }
        let folder = cache.snapshotFolder(id, commit: commit)
        guard ModelFiles.problem(in: folder) == nil else { return nil }
        if strict {
            for file in ModelFiles.optionalFiles
            where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path)
                && !cache.hasNoExistMarker(id, commit: commit, file: file) {
                return nil
            }
        }
        return ResolvedModel(folder: folder, source: .cache, id: id, commit: commit)
    }

    private func offlineError(_ id: HubModelID) -> HubError {
        let repo = cache.repoFolder(id).path
        var why = "not in the Hugging Face cache"
        if let commit = cache.cachedCommit(id),
           let problem = ModelFiles.problem(in: cache.snapshotFolder(id, commit: commit)) {
            why = "cached snapshot \(commit) is incomplete (\(problem))"
        }
        return HubError(.offline, "\(id): \(why) (looked in \(repo)) and HF_HUB_OFFLINE is set; "
                        + "run `vlmnode models pull \(id)` with network access")
    }

    // MARK: - Download

    private func download(_ id: HubModelID) throws -> ResolvedModel {
        let downloader = HubDownloader(settings: settings, cache: cache, progress: progress)
        let configURL = downloader.resolveURL(id, revision: id.revision, file: ModelFiles.config)
        guard let configMeta = try downloader.metadata(id, revision: id.revision, file: ModelFiles.config) else {
            throw HubError(.notFound, "\(id): \(ModelFiles.config) not found at \(configURL.absoluteString) (HTTP 404)", code: 404)
        }
        guard let commit = configMeta.commit ?? (id.revisionIsCommit ? id.revision : nil),
              HubModelID.isCommitHash(commit) else {
            throw HubError(.badResponse, "\(id): \(configURL.absoluteString) sent no X-Repo-Commit header "
                           + "(is HF_ENDPOINT=\(settings.endpoint.absoluteString) a Hugging Face hub?)")
        }
        notice?("fetching \(id) (commit \(commit.prefix(10))) into \(cache.repoFolder(id).path)")
        try downloader.fetch(id, commit: commit, file: ModelFiles.config, metadata: configMeta)
        try cache.writeRef(id, commit: commit)

        let session = SnapshotFetch(id: id, commit: commit, store: self, downloader: downloader)
        try session.fetchWeights()
        for file in ModelFiles.optionalFiles { _ = try session.fetch(file, required: false) }

        let folder = cache.snapshotFolder(id, commit: commit)
        if let problem = ModelFiles.problem(in: folder) {
            throw HubError(.incompleteModel, "\(id)@\(commit.prefix(10)): \(problem) on the hub (snapshot \(folder.path))")
        }
        return ResolvedModel(folder: folder, source: .download, id: id, commit: commit)
    }
}

/// One snapshot being completed: skips files already in it (or known missing) without network.
private struct SnapshotFetch {
    let id: HubModelID
    let commit: String
    let store: ModelStore
    let downloader: HubDownloader

    var folder: URL { store.cache.snapshotFolder(id, commit: commit) }

    /// True when the file is (now) in the snapshot; false when the hub does not have it.
    func fetch(_ file: String, required: Bool) throws -> Bool {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path) { return true }
        if !required && store.cache.hasNoExistMarker(id, commit: commit, file: file) { return false }
        guard let meta = try downloader.metadata(id, revision: commit, file: file) else {
            if required {
                let url = downloader.resolveURL(id, revision: commit, file: file)
                throw HubError(.notFound, "\(id): \(file) not found at \(url.absoluteString) (HTTP 404)", code: 404)
            }
            try store.cache.markNoExist(id, commit: commit, file: file)
            return false
        }
        try downloader.fetch(id, commit: commit, file: file, metadata: meta)
        return true
    }

    /// The first weight layout the hub has (transformers' order), with all shards of an index.
    func fetchWeights() throws {
        for candidate in ModelFiles.weightCandidates where try fetch(candidate, required: false) {
            if candidate.hasSuffix(".index.json") {
                for shard in try ModelFiles.shards(inIndex: folder.appendingPathComponent(candidate)) {
                    _ = try fetch(shard, required: true)
                }
            }
            return
        }
        throw HubError(.notFound, "\(id): no weights on the hub (tried \(ModelFiles.weightCandidates.joined(separator: ", ")))")
    }
}
