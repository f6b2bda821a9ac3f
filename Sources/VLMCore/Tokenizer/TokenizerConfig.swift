import Foundation

/// tokenizer_config.json + special_tokens_map.json, resolved as transformers 5 does for a
/// CLIPTokenizer: special tokens, their added-token flags, model_max_length.
struct TokenizerConfig {
    /// transformers' SPECIAL_TOKENS_ATTRIBUTES order; a later one redefines an earlier one's flags.
    static let attributes = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// CLIPTokenizer's constructor defaults, used for roles the files leave out (they win over
    /// tokenizer.json's padding.pad_token too, as in transformers 5).
    static let clipDefaults = ["bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                               "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]

    var specials: [(attribute: String, token: AddedToken)] = []
    var decoder: [AddedToken] = []
    var modelMaxLength: Int? = nil

    /// Only CLIPTokenizer's defaults (no config files).
    static func defaults() -> TokenizerConfig {
        var config = TokenizerConfig()
        for attribute in attributes {
            if let content = clipDefaults[attribute] {
                config.specials.append((attribute, AddedToken(content: content, id: -1, normalized: false)))
            }
        }
        return config
    }

    static func load(folder: URL) throws -> TokenizerConfig {
        var config = TokenizerConfig()
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        var values: [String: Any] = [:]
        var hasDecoder = false
        if FileManager.default.fileExists(atPath: configURL.path) {
            guard let dict = try TokenizerFiles.readJSON(configURL) as? [String: Any] else {
                throw TokenizerError.badFile(configURL.path, "expected a JSON object")
            }
            values = dict
            // transformers' "unlimited" is ~1e30; anything past the positions limit is treated
            // the same (it sizes padded rows, and no text tower has that many positions).
            if let max = dict["model_max_length"] as? NSNumber, max.doubleValue >= 1,
               max.doubleValue <= Double(ModelLimits.current.positions) {
                config.modelMaxLength = max.intValue
            }
            if let decoder = dict["added_tokens_decoder"] as? [String: [String: Any]] {
                hasDecoder = true
                for (key, entry) in decoder.sorted(by: { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }) {
                    guard let id = Int32(key), let token = addedToken(entry, id: id) else {
                        throw TokenizerError.badFile(configURL.path, "added_tokens_decoder[\(key)] is not a token")
                    }
                    config.decoder.append(token)
                }
            }
        }
        // Legacy layout: special_tokens_map.json overrides the config (only without added_tokens_decoder).
        if !hasDecoder, FileManager.default.fileExists(atPath: mapURL.path) {
            guard let map = try TokenizerFiles.readJSON(mapURL) as? [String: Any] else {
                throw TokenizerError.badFile(mapURL.path, "expected a JSON object")
            }
            for (key, value) in map where attributes.contains(key) { values[key] = value }
        }
        for attribute in attributes {
            guard let value = values[attribute] ?? clipDefaults[attribute] else { continue }
            if let s = value as? String {
                config.specials.append((attribute, AddedToken(content: s, id: -1, normalized: false)))
            } else if let dict = value as? [String: Any], let token = addedToken(dict, id: -1) {
                config.specials.append((attribute, token))
            }
        }
        return config
    }

    private static func addedToken(_ entry: [String: Any], id: Int32) -> AddedToken? {
        guard let content = entry["content"] as? String else { return nil }
        return AddedToken(
            content: content, id: id, normalized: entry["normalized"] as? Bool ?? false,
            lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false,
            singleWord: entry["single_word"] as? Bool ?? false)
    }

    /// The role names map to contents; the added tokens get ids and the flags transformers ends up
    /// with. `fromJSON`: tokens already listed in tokenizer.json keep their flags there.
    func apply(to spec: inout TokenizerSpec, fromJSON: Bool) {
        for (attribute, token) in specials {
            switch attribute {
            case "bos_token": spec.bos = token.content
            case "eos_token": spec.eos = token.content
            case "pad_token": spec.pad = token.content
            case "unk_token": spec.unk = token.content
            default: break
            }
        }
        for token in decoder where !spec.added.contains(where: { $0.content == token.content }) {
            spec.added.append(token)
        }
        for (_, token) in specials {
            if let i = spec.added.firstIndex(where: { $0.content == token.content }) {
                if !fromJSON && decoder.isEmpty {
                    let id = spec.added[i].id
                    spec.added[i] = token
                    spec.added[i].id = id
                }
            } else {
                var token = token
                token.id = spec.vocab[token.content] ?? Int32(spec.vocab.count + spec.added.count)
                spec.added.append(token)
            }
        }
    }
}
