import Foundation

/// Where the Hugging Face cache lives and how to reach the hub, read from the environment the way
/// huggingface_hub reads it, so both share one cache.
public struct HubSettings: Sendable {
    /// The hub cache: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
    /// else ~/.cache/huggingface/hub.
    public var cacheDirectory: URL
    /// HF_ENDPOINT, else https://huggingface.co.
    public var endpoint: URL
    /// HF_TOKEN, sent as `Authorization: Bearer …` to the endpoint's host.
    public var token: String?
    /// HF_HUB_OFFLINE=1 (or true/yes/on): never touch the network.
    public var offline: Bool

    public init(cacheDirectory: URL, endpoint: URL, token: String? = nil, offline: Bool = false) {
        self.cacheDirectory = cacheDirectory
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
    }

    /// Settings from `environment` (the process environment by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ key: String) -> String? {
            guard let v = environment[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let home = value("HOME") ?? NSHomeDirectory()
        func expand(_ path: String) -> URL {
            URL(fileURLWithPath: path.hasPrefix("~/") ? home + path.dropFirst(1) : path, isDirectory: true)
        }
        if let hub = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") {
            cacheDirectory = expand(hub)
        } else if let hfHome = value("HF_HOME") {
            cacheDirectory = expand(hfHome).appendingPathComponent("hub", isDirectory: true)
        } else if let xdg = value("XDG_CACHE_HOME") {
            cacheDirectory = expand(xdg).appendingPathComponent("huggingface/hub", isDirectory: true)
        } else {
            cacheDirectory = expand(home).appendingPathComponent(".cache/huggingface/hub", isDirectory: true)
        }
        var endpointString = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpointString.hasSuffix("/") { endpointString.removeLast() }
        endpoint = URL(string: endpointString) ?? URL(string: "https://huggingface.co")!
        token = value("HF_TOKEN")
        offline = ["1", "true", "yes", "on"].contains((value("HF_HUB_OFFLINE") ?? "").lowercased())
    }
}
