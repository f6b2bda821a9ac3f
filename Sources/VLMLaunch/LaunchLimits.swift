import Foundation

/// Ceilings on what a launch file may make the launcher do (launch files come from others too):
/// parsing and expansion stop with a clear error instead of overflowing the stack, allocating
/// without bound or running for ever. docs/security.md lists each with its default; each can be
/// raised with the environment variable named.
public struct LaunchLimits: Sendable, Equatable {
    /// Element nesting depth in one file. `VLMNODE_LAUNCH_MAX_DEPTH`, default 64.
    public var maxDepth: Int
    /// Elements in one file. `VLMNODE_LAUNCH_MAX_ELEMENTS`, default 100000.
    public var maxElements: Int
    /// `$(…)` nesting inside one attribute, and `[` nesting in a list param.
    /// `VLMNODE_LAUNCH_MAX_NESTING`, default 16.
    public var maxNesting: Int
    /// Bytes of one attribute after substitution. `VLMNODE_LAUNCH_MAX_VALUE_BYTES`, default 1 MiB.
    public var maxValueBytes: Int
    /// `<include>`s followed in one launch, all files together. `VLMNODE_LAUNCH_MAX_INCLUDES`, default 256.
    public var maxIncludes: Int

    /// `respawn_max` and `respawn_delay` (seconds) ceilings: fixed, far above any real use.
    public static let maxRespawns = 1_000_000
    public static let maxRespawnDelay = 86_400.0

    public static let defaults = LaunchLimits(maxDepth: 64, maxElements: 100_000, maxNesting: 16,
                                              maxValueBytes: 1 << 20, maxIncludes: 256)

    /// The limits for this process: the defaults, changed by the environment.
    public static let current = LaunchLimits(environment: ProcessInfo.processInfo.environment)

    public init(maxDepth: Int, maxElements: Int, maxNesting: Int, maxValueBytes: Int, maxIncludes: Int) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxNesting = maxNesting
        self.maxValueBytes = maxValueBytes
        self.maxIncludes = maxIncludes
    }

    /// The defaults with each variable set to a positive integer applied (others ignored).
    public init(environment: [String: String]) {
        self = .defaults
        func value(_ name: String) -> Int? { environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let v = value("VLMNODE_LAUNCH_MAX_DEPTH") { maxDepth = v }
        if let v = value("VLMNODE_LAUNCH_MAX_ELEMENTS") { maxElements = v }
        if let v = value("VLMNODE_LAUNCH_MAX_NESTING") { maxNesting = v }
        if let v = value("VLMNODE_LAUNCH_MAX_VALUE_BYTES") { maxValueBytes = v }
        if let v = value("VLMNODE_LAUNCH_MAX_INCLUDES") { maxIncludes = v }
    }
}
