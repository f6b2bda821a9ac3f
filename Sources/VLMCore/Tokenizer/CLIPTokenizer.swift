// Port of transformers 5.24's CLIPTokenizer (models/clip/tokenization_clip.py) on tokenizers 0.23.
import Foundation

/// How a batch is padded.
public enum TokenizerPadding: Sendable, Equatable {
    /// No padding: rows keep their own lengths.
    case none
    /// Pad to the longest row of the batch.
    case longest
    /// Pad to `maxLength` (or the model's max length).
    case maxLength
}

/// Token ids and attention mask of a batch, row per text (`attentionMask` is 1 on real tokens).
public struct TokenizedBatch: Sendable, Equatable {
    public var inputIds: [[Int32]]
    public var attentionMask: [[Int32]]
}

/// CLIP's byte-level BPE tokenizer, exactly as transformers 5's CLIPTokenizer (the `tokenizers`
/// pipeline): special tokens split out first, NFC + whitespace collapse + lowercase, CLIP's split
/// regex, byte-level BPE with "</w>", then `<|startoftext|> ids <|endoftext|>`; truncation keeps
/// eos last; padding with the folder's pad token (OWL-ViT: "!", id 0). Thread-safe.
public final class CLIPTokenizer: Sendable {
    /// Token string -> id (tokenizer.json model.vocab or vocab.json).
    public let vocab: [String: Int32]
    public let bosTokenId: Int32
    public let eosTokenId: Int32
    public let padTokenId: Int32
    public let unkTokenId: Int32
    /// `model_max_length` from tokenizer_config.json (77 for CLIP, 16 for OWL-ViT), nil when unset.
    public let modelMaxLength: Int?
    let bpe: BytePairEncoder
    private let rawAdded: [AddedToken]
    private let normalizedAdded: [AddedToken]

    /// Loads a model folder: tokenizer.json if present, else vocab.json + merges.txt; with
    /// tokenizer_config.json / special_tokens_map.json for special tokens and model_max_length.
    public convenience init(folder: URL) throws {
        let fm = FileManager.default
        let json = folder.appendingPathComponent("tokenizer.json")
        let vocab = folder.appendingPathComponent("vocab.json"), merges = folder.appendingPathComponent("merges.txt")
        if fm.fileExists(atPath: json.path) {
            try self.init(tokenizerFile: json, configFolder: folder)
        } else if fm.fileExists(atPath: vocab.path) && fm.fileExists(atPath: merges.path) {
            try self.init(vocabFile: vocab, mergesFile: merges, configFolder: folder)
        } else {
            throw TokenizerError.missingFiles(
                folder: folder.path, lookedFor: ["tokenizer.json", "vocab.json + merges.txt"])
        }
    }

    /// From vocab.json + merges.txt; `configFolder` holds the optional config files.
    public convenience init(vocabFile: URL, mergesFile: URL, configFolder: URL?) throws {
        var spec = TokenizerSpec()
        spec.vocab = try TokenizerFiles.readVocab(vocabFile)
        spec.merges = try TokenizerFiles.readMerges(mergesFile)
        let config = try configFolder.map { try TokenizerConfig.load(folder: $0) } ?? TokenizerConfig.defaults()
        config.apply(to: &spec, fromJSON: false)
        spec.modelMaxLength = config.modelMaxLength
        try self.init(spec: spec, source: mergesFile.path)
    }

    /// From a `tokenizers` tokenizer.json; `configFolder` holds the optional config files.
    public convenience init(tokenizerFile: URL, configFolder: URL?) throws {
        var spec = TokenizerSpec()
        try TokenizerFiles.readTokenizerJSON(tokenizerFile, into: &spec)
        let config = try configFolder.map { try TokenizerConfig.load(folder: $0) } ?? TokenizerConfig.defaults()
        config.apply(to: &spec, fromJSON: true)
        spec.modelMaxLength = config.modelMaxLength
        try self.init(spec: spec, source: tokenizerFile.path)
    }

    init(spec: TokenizerSpec, source: String) throws {
        func id(_ role: String, _ token: String) throws -> Int32 {
            if let id = spec.vocab[token] ?? spec.added.first(where: { $0.content == token })?.id { return id }
            throw TokenizerError.missingToken(role, token)
        }
        vocab = spec.vocab
        bosTokenId = try id("bos", spec.bos)
        eosTokenId = try id("eos", spec.eos)
        padTokenId = try id("pad", spec.pad)
        unkTokenId = try id("unk", spec.unk)
        modelMaxLength = spec.modelMaxLength
        bpe = try BytePairEncoder(vocab: spec.vocab, merges: spec.merges, unkId: spec.vocab[spec.unk], source: source)
        rawAdded = spec.added.filter { !$0.normalized }
        normalizedAdded = spec.added.filter { $0.normalized }
    }

    /// Ids of `text` without bos/eos. With `limit`, the first `limit` of them: tokenizing stops
    /// once they are known (each pre-token yields at least one id and later pre-tokens never
    /// change earlier ids), so the work a long text costs is bounded by the limit, not its length.
    public func tokenize(_ text: String, limit: Int? = nil) -> [Int32] {
        var ids: [Int32] = []
        let cap = limit.map { max(0, $0) } ?? Int.max
        func emit(_ id: Int32) { if ids.count < cap { ids.append(id) } }
        let raw = text.unicodeScalars.map(\.value)
        AddedTokenMatcher.split(raw, rawAdded, emitToken: emit) { start, end in
            guard ids.count < cap else { return }
            let normalized = CLIPTextSplitter.normalize(raw[start..<end])
            AddedTokenMatcher.split(normalized, normalizedAdded, emitToken: emit) { s, e in
                guard ids.count < cap else { return }
                let part = Array(normalized[s..<e])
                var bytes: [UInt8] = []
                CLIPTextSplitter.split(part) { ps, pe in
                    guard ids.count < cap else { return }
                    bytes.removeAll(keepingCapacity: true)
                    for c in part[ps..<pe] { Self.appendUTF8(c, to: &bytes) }
                    bpe.encode(word: bytes, into: &ids)
                }
            }
        }
        if ids.count > cap { ids.removeLast(ids.count - cap) }
        return ids
    }

    /// `<|startoftext|> ids <|endoftext|>`, the ids cut to `maxLength - 2` when `maxLength` is given.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        let ids = tokenize(text, limit: maxLength.map { max(0, $0 - 2) })
        return [bosTokenId] + ids + [eosTokenId]
    }

    /// A batch as transformers' `tokenizer(texts, padding:, truncation:, max_length:)`.
    /// `maxLength` defaults to `modelMaxLength`; without either, `.maxLength` pads like `.longest`.
    public func callAsFunction(_ texts: [String], padding: TokenizerPadding = .maxLength,
                               truncation: Bool = true, maxLength: Int? = nil) -> TokenizedBatch {
        let limit = maxLength ?? modelMaxLength
        var rows = texts.map { encode($0, maxLength: truncation ? limit : nil) }
        var masks = rows.map { [Int32](repeating: 1, count: $0.count) }
        let target: Int?
        switch padding {
        case .none: target = nil
        case .longest: target = rows.map(\.count).max()
        case .maxLength: target = limit ?? rows.map(\.count).max()
        }
        if let target {
            for i in rows.indices where rows[i].count < target {
                let extra = target - rows[i].count
                rows[i] += [Int32](repeating: padTokenId, count: extra)
                masks[i] += [Int32](repeating: 0, count: extra)
            }
        }
        return TokenizedBatch(inputIds: rows, attentionMask: masks)
    }

    @inline(__always)
    private static func appendUTF8(_ c: UInt32, to bytes: inout [UInt8]) {
        switch c {
        case 0..<0x80: bytes.append(UInt8(c))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (c >> 6))); bytes.append(UInt8(0x80 | (c & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (c >> 12))); bytes.append(UInt8(0x80 | ((c >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (c & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (c >> 18))); bytes.append(UInt8(0x80 | ((c >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((c >> 6) & 0x3F))); bytes.append(UInt8(0x80 | (c & 0x3F)))
        }
    }
}

/// Splits scalars on added tokens, leftmost-longest as `tokenizers`' AddedVocabulary does.
enum AddedTokenMatcher {
    static func split(_ s: [UInt32], _ tokens: [AddedToken], emitToken: (Int32) -> Void,
                      emitText: (Int, Int) -> Void) {
        guard !tokens.isEmpty, !s.isEmpty else {
            if !s.isEmpty { emitText(0, s.count) }
            return
        }
        let patterns = tokens.map { Array($0.content.unicodeScalars.map(\.value)) }
        var textStart = 0, i = 0
        while i < s.count {
            var best = -1, bestLen = 0
            for (t, p) in patterns.enumerated() where p.count > bestLen && !p.isEmpty && i + p.count <= s.count {
                if s[i] == p[0] && s[i..<(i + p.count)].elementsEqual(p) && wordOK(s, i, i + p.count, tokens[t]) {
                    best = t; bestLen = p.count
                }
            }
            if best < 0 { i += 1; continue }
            var start = i, end = i + bestLen
            if tokens[best].lstrip { while start > textStart && CLIPTextSplitter.isWhitespace(s[start - 1]) { start -= 1 } }
            if tokens[best].rstrip { while end < s.count && CLIPTextSplitter.isWhitespace(s[end]) { end += 1 } }
            if start > textStart { emitText(textStart, start) }
            emitToken(tokens[best].id)
            textStart = end
            i = end
        }
        if textStart < s.count { emitText(textStart, s.count) }
    }

    private static func wordOK(_ s: [UInt32], _ start: Int, _ end: Int, _ token: AddedToken) -> Bool {
        guard token.singleWord else { return true }
        func isWord(_ c: UInt32) -> Bool { c == 0x5F || (1...2).contains(CLIPTextSplitter.kind(c)) }
        return (start == 0 || !isWord(s[start - 1])) && (end == s.count || !isWord(s[end]))
    }
}
