import Foundation

/// What a model folder's config.json says it is (`model_type`, `architectures`), read before
/// building a model so that the wrong kind of checkpoint fails with a message naming what was found
/// instead of a missing-tensor error deep inside the loader.
public struct ModelArchitecture: Sendable, Equatable {
    public let modelType: String?
    public let architectures: [String]

    /// Reads `config.json` in `folder`.
    public static func read(folder: URL) throws -> ModelArchitecture {
        let file = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw InputError("\(folder.path) has no config.json: not a Hugging Face model folder")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw InputError("\(file.path) is not a JSON object")
        }
        return ModelArchitecture(modelType: json["model_type"] as? String,
                                 architectures: json["architectures"] as? [String] ?? [])
    }

    /// A short name for messages: the first architecture, else the model type.
    public var name: String { architectures.first ?? modelType ?? "an unknown architecture" }

    /// The registry's entry for this config (by model_type, else by architecture), nil when this build has none.
    public var kind: ModelKind? { ModelRegistry.kind(modelType: modelType, architectures: architectures) }

    /// Throws unless `model_type` is one of `kinds`', in the registry's one-line refusal.
    @discardableResult
    public func require(_ kinds: [ModelKind], folder: URL) throws -> ModelKind {
        try ModelRegistry.require(kinds, modelType: modelType, architectures: architectures,
                                  file: folder.appendingPathComponent("config.json"))
    }
}

/// Reading a model's config.json: every model configuration's `load` starts here.
public enum ModelConfigFile {
    /// `config.json` of a model folder, or `url` itself when it names a file; and its bytes.
    public static func read(_ url: URL) throws -> (file: URL, data: Data) {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
            ? url.appendingPathComponent("config.json") : url
        do { return (file, try Data(contentsOf: file)) } catch {
            throw InputError("cannot read \(file.path): \(error.localizedDescription)")
        }
    }

    /// Decodes `data` (read from `file`) as `T`; a failure names the file and what it should have been.
    public static func decode<T: Decodable>(_ type: T.Type, _ data: Data, file: URL, expected: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw InputError("\(file.path) is not \(expected) config: \(error)")
        }
    }
}
