import Foundation

/// A tokenizer folder that cannot be used; each case names the file or folder at fault.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// Neither tokenizer.json nor vocab.json + merges.txt in `folder`.
    case missingFiles(folder: String, lookedFor: [String])
    /// A file exists but its content is not usable.
    case badFile(String, String)
    /// A token the tokenizer needs (bos, eos, pad) has no id.
    case missingToken(String, String)

    public var description: String {
        switch self {
        case let .missingFiles(folder, names):
            return "no tokenizer in \(folder): looked for \(names.joined(separator: ", "))"
        case let .badFile(file, reason): return "\(file): \(reason)"
        case let .missingToken(role, token): return "tokenizer has no id for \(role) token \"\(token)\""
        }
    }
}

/// One added token as `tokenizers` matches it before (normalized == false) or after normalization.
struct AddedToken: Equatable {
    var content: String
    var id: Int32
    var normalized: Bool
    var lstrip = false
    var rstrip = false
    var singleWord = false
}

/// Everything read from a folder's files before the tokenizer is built.
struct TokenizerSpec {
    var vocab: [String: Int32] = [:]
    var merges: [(String, String)] = []
    var added: [AddedToken] = []
    var bos = "<|startoftext|>", eos = "<|endoftext|>", pad = "<|endoftext|>", unk = "<|endoftext|>"
    var modelMaxLength: Int? = nil
}

enum TokenizerFiles {
    static func readJSON(_ url: URL) throws -> Any {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.badFile(url.path, "cannot be read (\(error.localizedDescription))")
        }
        do { return try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.badFile(url.path, "is not valid JSON")
        }
    }

    static func readVocab(_ url: URL) throws -> [String: Int32] {
        guard let dict = try readJSON(url) as? [String: Any] else {
            throw TokenizerError.badFile(url.path, "expected an object of token -> id")
        }
        return try vocab(from: dict, file: url.path)
    }

    static func vocab(from dict: [String: Any], file: String) throws -> [String: Int32] {
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(dict.count)
        for (token, value) in dict {
            guard let id = (value as? NSNumber)?.int32Value else {
                throw TokenizerError.badFile(file, "token \"\(token)\" has a non-integer id")
            }
            vocab[token] = id
        }
        return vocab
    }

    /// merges.txt: an optional "#version" line, then "left right" per line.
    static func readMerges(_ url: URL) throws -> [(String, String)] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TokenizerError.badFile(url.path, "cannot be read as UTF-8")
        }
        var merges: [(String, String)] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || (n == 0 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.badFile(url.path, "line \(n + 1) is not \"left right\"")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        return merges
    }

    /// tokenizer.json: model.vocab, model.merges ("a b" strings or [a, b] pairs), added_tokens,
    /// post_processor (RobertaProcessing / TemplateProcessing), padding.pad_token.
    static func readTokenizerJSON(_ url: URL, into spec: inout TokenizerSpec) throws {
        guard let root = try readJSON(url) as? [String: Any], let model = root["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Any], let merges = model["merges"] as? [Any] else {
            throw TokenizerError.badFile(url.path, "expected model.vocab and model.merges (a BPE model)")
        }
        if let type = model["type"] as? String, type != "BPE" {
            throw TokenizerError.badFile(url.path, "model.type is \(type), expected BPE")
        }
        spec.vocab = try self.vocab(from: vocab, file: url.path)
        spec.merges = try merges.enumerated().map { n, m in
            if let s = m as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
            } else if let pair = m as? [String], pair.count == 2 {
                return (pair[0], pair[1])
            }
            throw TokenizerError.badFile(url.path, "model.merges[\(n)] is neither \"a b\" nor [a, b]")
        }
        if let unk = model["unk_token"] as? String { spec.unk = unk }
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.int32Value else {
                throw TokenizerError.badFile(url.path, "an added_tokens entry lacks content or id")
            }
            spec.added.append(AddedToken(
                content: content, id: id, normalized: entry["normalized"] as? Bool ?? false,
                lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false,
                singleWord: entry["single_word"] as? Bool ?? false))
        }
        if let post = root["post_processor"] as? [String: Any] {
            try readPostProcessor(post, file: url.path, into: &spec)
        }
        if let padding = root["padding"] as? [String: Any], let pad = padding["pad_token"] as? String {
            spec.pad = pad
        }
    }

    private static func readPostProcessor(_ post: [String: Any], file: String, into spec: inout TokenizerSpec) throws {
        func idOf(_ pair: Any?) -> (String, Int32)? {
            guard let p = pair as? [Any], p.count == 2, let t = p[0] as? String,
                  let id = (p[1] as? NSNumber)?.int32Value else { return nil }
            return (t, id)
        }
        switch post["type"] as? String {
        case "RobertaProcessing", "BertProcessing":
            guard let cls = idOf(post["cls"]), let sep = idOf(post["sep"]) else {
                throw TokenizerError.badFile(file, "post_processor lacks cls/sep")
            }
            spec.bos = cls.0; spec.eos = sep.0
        case "TemplateProcessing":
            guard let single = post["single"] as? [[String: Any]],
                  let tokens = post["special_tokens"] as? [String: [String: Any]] else {
                throw TokenizerError.badFile(file, "post_processor TemplateProcessing lacks single/special_tokens")
            }
            // transformers rebuilds CLIP's post-processor from bos/eos; only their names matter here.
            var seenSequence = false
            for item in single {
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String,
                      tokens[name] != nil else { continue }
                if seenSequence { spec.eos = name } else { spec.bos = name }
            }
        default:
            break
        }
    }
}
