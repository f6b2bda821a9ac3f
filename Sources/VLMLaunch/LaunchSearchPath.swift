import Foundation

/// Where launch files are found by name (`vlmnode launch pick_place.launch`, or `pick_place`), in
/// order: the current directory, each directory of `VLMNODE_LAUNCH_PATH` (colon-separated), the
/// installed share directory next to the running binary (`<bin>/../share/vlmnode/launch`), then the
/// `Launch/` folder of the checkout the binary was built from. The first directory holding the name
/// wins; copies further down the path are "shadowed". A name with a `/` is a path and is taken as is.
///
///     let found = try LaunchSearchPath().resolve("pick_place")
///     if let note = found.note { print(note) }     // when differing copies were shadowed
///     let graph = try LaunchLoader.load(file: found.path, paths: LaunchPaths(file: found.path))
public struct LaunchSearchPath: Sendable {
    /// Why a directory is on the path (shown by `vlmnode launch --list` and in messages).
    public enum Origin: String, Sendable, Hashable {
        case currentDirectory = "current directory"
        case launchPath = "VLMNODE_LAUNCH_PATH"
        case installed = "installed"
        case checkout = "source checkout"
    }

    public struct Directory: Sendable, Hashable {
        public var path: String
        public var origin: Origin

        public init(path: String, origin: Origin) {
            self.path = path
            self.origin = origin
        }
    }

    /// Searched in this order; a directory listed twice (the checkout's `Launch/` as the current
    /// directory) appears once, at its first place.
    public private(set) var directories: [Directory]

    public init(directories: [Directory]) {
        var seen = Set<String>()
        self.directories = directories.filter { seen.insert(Self.canonical($0.path)).inserted }
    }

    /// The standard path for this process (see the type's description). Directories that do not
    /// exist are left out.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                executable: String? = LaunchSearchPath.runningExecutable,
                checkoutLaunchDirectory: String? = LaunchSearchPath.builtCheckoutLaunchDirectory) {
        var dirs = [Directory(path: currentDirectory, origin: .currentDirectory)]
        for entry in (environment["VLMNODE_LAUNCH_PATH"] ?? "").split(separator: ":") where !entry.isEmpty {
            let path = entry.hasPrefix("/") ? String(entry) : currentDirectory + "/" + entry
            dirs.append(Directory(path: URL(fileURLWithPath: path).standardizedFileURL.path, origin: .launchPath))
        }
        if let executable {
            dirs.append(Directory(path: Self.installedLaunchDirectory(forExecutable: executable), origin: .installed))
        }
        if let checkoutLaunchDirectory {
            dirs.append(Directory(path: checkoutLaunchDirectory, origin: .checkout))
        }
        self.init(directories: dirs.filter { $0.origin == .currentDirectory || Self.isDirectory($0.path) })
    }

    /// `<bin>/../share/vlmnode/launch` for the binary at `executable` (what `Scripts/install.sh` lays out).
    public static func installedLaunchDirectory(forExecutable executable: String) -> String {
        URL(fileURLWithPath: executable).deletingLastPathComponent()
            .appendingPathComponent("../share/vlmnode/launch").standardizedFileURL.path
    }

    /// The running binary, symlinks resolved (so a link in `~/bin` still finds its share directory).
    public static var runningExecutable: String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        guard let first = CommandLine.arguments.first, first.contains("/") else { return nil }
        return URL(fileURLWithPath: first).resolvingSymlinksInPath().path
    }

    /// The `Launch/` folder of the source tree this library was compiled from (`#filePath`), if it
    /// still exists: a binary run from `.build/` finds the shipped files without installing.
    public static var builtCheckoutLaunchDirectory: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // Sources/VLMLaunch
            .deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Launch").path
        return isDirectory(dir) ? dir : nil
    }

    // MARK: - Lookup

    /// One launch file found on the path.
    public struct Candidate: Sendable, Hashable {
        public var path: String
        public var directory: Directory
        public var fileName: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    /// What a name resolved to.
    public struct Resolution: Sendable {
        /// The file to load.
        public var path: String
        /// Nil when the name was a path (taken as is).
        public var chosen: Candidate?
        /// The same name further down the path, not used.
        public var shadowed: [Candidate]
        /// Shadowed copies whose contents differ from the chosen file.
        public var differing: [Candidate]

        /// One line for stderr when a differing copy was passed over, naming the file taken; nil
        /// when there was no choice to make (identical copies, such as an installed file and the
        /// checkout it came from, are not worth a warning).
        public var note: String? {
            guard let chosen, !differing.isEmpty else { return nil }
            let others = differing.map { "\($0.path) (\($0.directory.origin.rawValue))" }.joined(separator: ", ")
            return "\(chosen.fileName): using \(chosen.path) (\(chosen.directory.origin.rawValue)); "
                + "also found, not used: \(others)"
        }
    }

    /// Resolves a launch file name (with or without `.launch`) or path.
    /// Throws a `LaunchError` naming every directory looked in when nothing matches.
    public func resolve(_ name: String) throws -> Resolution {
        if name.contains("/") || name.isEmpty || name == "." || name == ".." {
            return Resolution(path: name, chosen: nil, shadowed: [], differing: [])
        }
        let found = candidates(named: name)
        guard let chosen = found.first else {
            let looked = directories.map { "\($0.path) (\($0.origin.rawValue))" }.joined(separator: ", ")
            let tried = name.hasSuffix(".launch") ? name : "\(name) or \(name).launch"
            throw LaunchError("\(name): no such launch file (looked for \(tried) in \(looked))", at: nil)
        }
        let shadowed = Array(found.dropFirst())
        let chosenData = FileManager.default.contents(atPath: chosen.path)
        let differing = shadowed.filter { FileManager.default.contents(atPath: $0.path) != chosenData }
        return Resolution(path: chosen.path, chosen: chosen, shadowed: shadowed, differing: differing)
    }

    /// Every file on the path that `name` could mean, in path order (the first is used). In each
    /// directory the name as given comes before `name.launch`.
    public func candidates(named name: String) -> [Candidate] {
        let fileNames = name.hasSuffix(".launch") ? [name] : [name, name + ".launch"]
        var out: [Candidate] = []
        for dir in directories {
            for fileName in fileNames {
                let path = (dir.path as NSString).appendingPathComponent(fileName)
                if Self.isRegularFile(path) {
                    out.append(Candidate(path: path, directory: dir))
                    break
                }
            }
        }
        return out
    }

    // MARK: - Listing

    /// One launch file name and every copy of it on the path (the first is used).
    public struct Entry: Sendable {
        public var name: String
        public var copies: [Candidate]
        public var used: Candidate { copies[0] }
    }

    /// Every `*.launch` file on the path, by name, each with its copies in path order.
    public func list() -> [Entry] {
        var byName: [String: [Candidate]] = [:]
        var order: [String] = []
        for dir in directories {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                .filter { $0.hasSuffix(".launch") && !$0.hasPrefix(".") }.sorted()
            for name in names {
                let path = (dir.path as NSString).appendingPathComponent(name)
                guard Self.isRegularFile(path) else { continue }
                if byName[name] == nil { order.append(name) }
                byName[name, default: []].append(Candidate(path: path, directory: dir))
            }
        }
        return order.sorted().map { Entry(name: $0, copies: byName[$0]!) }
    }

    // MARK: - File system

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func isRegularFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }
}
