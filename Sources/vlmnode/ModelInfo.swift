import Foundation
import VLMCore

/// What `vlmnode models info` reports: config.json highlights, the checkpoint's tensor summary
/// (parameter count and dtypes from the weight headers, no tensor data read), and the files.
struct ModelInfo {
    let resolved: ResolvedModel
    let config: [String: Any]
    let summary: CheckpointSummary?
    let weightsProblem: String?
    let files: [(name: String, size: Int64)]

    init(_ resolved: ResolvedModel) throws {
        self.resolved = resolved
        let folder = resolved.folder
        let configURL = folder.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: configURL) else {
            throw HubError(.incompleteModel, "\(folder.path): no readable config.json")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HubError(.incompleteModel, "\(configURL.path): not a JSON object")
        }
        config = object
        do {
            summary = try Checkpoint.open(folder: folder.path).summary()
            weightsProblem = nil
        } catch {
            summary = nil
            weightsProblem = "\(error)"
        }
        let fm = FileManager.default
        var listing: [(String, Int64)] = []
        if let walker = fm.enumerator(atPath: folder.path) {
            while let path = walker.nextObject() as? String {
                let url = folder.appendingPathComponent(path)
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    let size = (try? fm.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)[.size] as? NSNumber)?.int64Value ?? 0
                    listing.append((path, size))
                }
            }
        }
        files = listing.sorted { $0.0 < $1.0 }
    }

    var architecture: String { (config["architectures"] as? [String])?.joined(separator: ", ") ?? "?" }
    var modelType: String { config["model_type"] as? String ?? "?" }
    /// What this build loads the folder as (the model registry's entry), nil for a model it cannot load.
    var kind: ModelKind? {
        ModelRegistry.kind(modelType: config["model_type"] as? String, architectures: config["architectures"] as? [String] ?? [])
    }
    /// "OWL-ViT, loaded by OwlViTForObjectDetection; used by detect, node detect, …", or what is known.
    var modelText: String {
        guard let kind else { return "not one this build loads (known: \(ModelRegistry.knownArchitectures))" }
        return "\(kind.displayName), loaded by \(kind.loader); used by \(kind.tasks.joined(separator: ", "))"
    }

    /// "hidden 512, layers 12, heads 8, ..." for a sub-config (text_config, vision_config).
    static func describe(_ sub: [String: Any]) -> String {
        let keys: [(String, String)] = [
            ("hidden_size", "hidden"), ("num_hidden_layers", "layers"), ("num_attention_heads", "heads"),
            ("intermediate_size", "mlp"), ("image_size", "image"), ("patch_size", "patch"),
            ("max_position_embeddings", "positions"), ("vocab_size", "vocab"), ("num_frames", "frames"),
        ]
        return keys.compactMap { key, label in sub[key].map { "\(label) \($0)" } }.joined(separator: ", ")
    }

    var text: String {
        var out = ""
        func line(_ label: String, _ value: String) { out += label.padding(toLength: 13, withPad: " ", startingAt: 0) + value + "\n" }
        if let id = resolved.id {
            line("model", "\(id)" + (resolved.commit.map { " (commit \($0))" } ?? ""))
        }
        line("folder", resolved.folder.path + " [\(resolved.source.rawValue)]")
        line("architecture", "\(architecture) (model_type \(modelType))")
        line("loads as", modelText)
        for key in ["text_config", "vision_config"] {
            if let sub = config[key] as? [String: Any] { line(key.replacingOccurrences(of: "_config", with: ""), Self.describe(sub)) }
        }
        if let projection = config["projection_dim"] { line("projection", "\(projection)") }
        if let summary {
            line("parameters", "\(summary.parameterCount) (\(String(format: "%.2f", Double(summary.parameterCount) / 1e6)) M)")
            line("dtypes", dtypeText(summary))
            line("weights", "\(summary.format.rawValue): \(summary.files.joined(separator: ", ")), "
                 + "\(summary.tensorCount) tensors, \(TerminalProgressBar.format(Int64(summary.totalBytes)))")
        } else if let weightsProblem {
            line("weights", "unreadable: \(weightsProblem)")
        }
        out += "files\n"
        for file in files { out += "  " + file.name.padding(toLength: 40, withPad: " ", startingAt: 0) + TerminalProgressBar.format(file.size) + "\n" }
        return out
    }

    func dtypeText(_ summary: CheckpointSummary) -> String {
        summary.tensorsPerDType.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) (\($0.value) tensors)" }.joined(separator: ", ")
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "folder": resolved.folder.path, "source": resolved.source.rawValue, "architecture": architecture,
            "model_type": modelType, "supported": kind != nil, "files": files.map { ["name": $0.name, "size": $0.size] as [String: Any] },
        ]
        if let kind { object["model"] = ["name": kind.displayName, "loader": kind.loader, "tasks": kind.tasks] as [String: Any] }
        if let id = resolved.id { object["id"] = id.repo; object["revision"] = id.revision }
        if let commit = resolved.commit { object["commit"] = commit }
        if let summary {
            object["parameters"] = summary.parameterCount
            object["tensors"] = summary.tensorCount
            object["weights_format"] = summary.format.rawValue
            object["weight_files"] = summary.files
            object["weight_bytes"] = summary.totalBytes
            object["dtypes"] = Dictionary(uniqueKeysWithValues: summary.tensorsPerDType.map { ($0.key.rawValue, $0.value) })
        } else if let weightsProblem {
            object["weights_error"] = weightsProblem
        }
        for key in ["text_config", "vision_config"] {
            if let sub = config[key] as? [String: Any] { object[key] = sub }
        }
        return object
    }
}
