import Foundation

/// Which files make a usable CLIP-family model folder (what the store downloads and what a cache
/// snapshot must hold): config, weights in one of transformers' layouts, a tokenizer, and an image
/// processor config.
public enum ModelFiles {
    public static let config = "config.json"
    /// In transformers' order of preference; the index files name their shards.
    public static let weightCandidates = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
    ]
    /// Fetched when the hub has them; a model needs tokenizer.json or vocab.json + merges.txt.
    public static let tokenizerFiles = [
        "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json",
    ]
    /// Fetched when the hub has them; a model needs one of the two.
    public static let processorFiles = ["preprocessor_config.json", "processor_config.json"]

    /// Every optional file name the store asks the hub for (besides config and weights).
    static var optionalFiles: [String] { tokenizerFiles + processorFiles }

    /// Why `folder` is not a usable model folder, or nil when it is.
    public static func problem(in folder: URL) -> String? {
        let has = { (name: String) in FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
        if !has(config) { return "no \(config)" }
        guard let weights = weightCandidates.first(where: has) else {
            return "no weights (\(weightCandidates.joined(separator: ", ")))"
        }
        if weights.hasSuffix(".index.json") {
            do {
                let missing = try shards(inIndex: folder.appendingPathComponent(weights)).filter { !has($0) }
                if !missing.isEmpty { return "\(weights) names missing shards: \(missing.joined(separator: ", "))" }
            } catch {
                return "\(weights): \(error)"
            }
        }
        if !has("tokenizer.json") && !(has("vocab.json") && has("merges.txt")) {
            return "no tokenizer (tokenizer.json, or vocab.json + merges.txt)"
        }
        if !processorFiles.contains(where: has) {
            return "no image processor config (\(processorFiles.joined(separator: " or ")))"
        }
        return nil
    }

    /// The shard file names a `*.index.json` maps tensors to (unique, sorted). Refuses names that
    /// would leave the folder.
    public static func shards(inIndex url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw HubError(.io, "cannot read \(url.path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw HubError(.incompleteModel, "\(url.lastPathComponent): no \"weight_map\" object")
        }
        var names = Set<String>()
        for (key, value) in map {
            guard let shard = value as? String, isSafeRelativePath(shard) else {
                throw HubError(.incompleteModel, "\(url.lastPathComponent): bad shard name for \(key): \(value)")
            }
            names.insert(shard)
        }
        return names.sorted()
    }

    /// A relative path inside a repository: no leading "/", no "." or ".." components, no NULs.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0"), !path.contains("\\") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
