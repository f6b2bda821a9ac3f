// Port of transformers 5.25's BertTokenizer (models/bert/tokenization_bert.py) on tokenizers 0.23:
// special tokens split out, BertNormalizer, BertPreTokenizer, WordPiece, "[CLS] A [SEP]".
import Foundation

/// BERT's WordPiece tokenizer, exactly as transformers 5's BertTokenizer, from a folder with
/// tokenizer.json or vocab.txt (+ tokenizer_config.json / special_tokens_map.json). Thread-safe.
///
/// Work is bounded on hostile input: the text is read in whitespace-delimited chunks and reading
/// stops once the truncation length is reached, so a megabyte question costs what its first
/// `maxLength` tokens cost. (The one inexactness: a run of more than 65,536 characters without an
/// ASCII space, tab or newline is cut there, which can only matter for text that long.)
public final class BertTokenizer: Sendable {
    /// Token string -> id.
    public let vocab: [String: Int32]
    /// The same by UTF-8 bytes: Swift's String equality is canonical equivalence ("cafe\u{301}" ==
    /// "café"), tokenizers' lookups compare exact code points.
    private let exactVocab: [[UInt8]: Int32]
    public let normalizer: BertNormalizer
    public let unkTokenId: Int32
    public let clsTokenId: Int32
    public let sepTokenId: Int32
    public let padTokenId: Int32
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    /// `model_max_length` (40 for ViLT), nil when unset.
    public let modelMaxLength: Int?
    private let rawAdded: [AddedToken]
    private let normalizedAdded: [AddedToken]

    /// What a folder's files say, before the tokenizer is built.
    struct Spec {
        var vocab: [String: Int32] = [:]
        /// Filled with `vocab` by the readers, keyed by exact UTF-8.
        var exactVocab: [[UInt8]: Int32] = [:]
        var normalizer = BertNormalizer()
        var unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]"
        var prefix = "##"
        var maxInputChars = 100
        var added: [AddedToken] = []
        var modelMaxLength: Int?
    }

    /// Loads tokenizer.json if present, else vocab.txt; tokenizer_config.json and special_tokens_map.json when present.
    public convenience init(folder: URL) throws {
        let fm = FileManager.default
        let json = folder.appendingPathComponent("tokenizer.json"), txt = folder.appendingPathComponent("vocab.txt")
        var spec = Spec()
        try BertTokenizerFiles.readConfig(folder: folder, into: &spec)
        if fm.fileExists(atPath: json.path) {
            try BertTokenizerFiles.readTokenizerJSON(json, into: &spec)
        } else if fm.fileExists(atPath: txt.path) {
            try BertTokenizerFiles.readVocabTxt(txt, into: &spec)
            // transformers adds the special tokens (never normalized) on top of the vocabulary.
            for token in [spec.pad, spec.unk, spec.cls, spec.sep, spec.mask] where !spec.added.contains(where: { $0.content == token }) {
                if let id = spec.vocab[token] { spec.added.append(AddedToken(content: token, id: id, normalized: false)) }
            }
        } else {
            throw TokenizerError.missingFiles(folder: folder.path, lookedFor: ["tokenizer.json", "vocab.txt"])
        }
        try self.init(spec: spec, source: folder.path)
    }

    init(spec: Spec, source: String) throws {
        func id(_ role: String, _ token: String) throws -> Int32 {
            if let id = spec.vocab[token] ?? spec.added.first(where: { $0.content == token })?.id { return id }
            throw TokenizerError.missingToken(role, token)
        }
        vocab = spec.vocab
        exactVocab = spec.exactVocab
        normalizer = spec.normalizer
        unkTokenId = try id("unk", spec.unk)
        clsTokenId = try id("cls", spec.cls)
        sepTokenId = try id("sep", spec.sep)
        padTokenId = (try? id("pad", spec.pad)) ?? 0
        continuingSubwordPrefix = spec.prefix
        maxInputCharsPerWord = spec.maxInputChars
        modelMaxLength = spec.modelMaxLength
        rawAdded = spec.added.filter { !$0.normalized }
        normalizedAdded = spec.added.filter { $0.normalized }
    }

    /// `[CLS] ids [SEP]`, the ids cut to `maxLength - 2` (default `model_max_length`; nil and no
    /// model max: no truncation), as `tokenizer(text, truncation=True)`.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        let limit = (maxLength ?? modelMaxLength).map { max(0, $0 - 2) }
        var ids = tokenize(text, limit: limit)
        if let limit, ids.count > limit { ids.removeLast(ids.count - limit) }
        return [clsTokenId] + ids + [sepTokenId]
    }

    /// The WordPiece ids of `text` without special tokens; stops reading once `limit` ids are made.
    public func tokenize(_ text: String, limit: Int? = nil) -> [Int32] {
        var ids: [Int32] = []
        var chunk: [UInt32] = []
        func full() -> Bool { limit.map { ids.count >= $0 } ?? false }
        func flush() {
            guard !chunk.isEmpty, !full() else { return }
            AddedTokenMatcher.split(chunk, rawAdded, emitToken: { if !full() { ids.append($0) } }) { start, end in
                guard !full() else { return }
                let normalized = normalizer.normalize(chunk[start ..< end])
                AddedTokenMatcher.split(normalized, normalizedAdded, emitToken: { if !full() { ids.append($0) } }) { s, e in
                    guard !full() else { return }
                    let part = Array(normalized[s ..< e])
                    BertNormalizer.splitWords(part) { ws, we in
                        if !full() { wordPiece(part[ws ..< we], into: &ids) }
                    }
                }
            }
            chunk.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let c = scalar.value
            chunk.append(c)
            // Cut only at ASCII whitespace, which separates words before and after normalisation.
            if (chunk.count >= 4096 && (c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D)) || chunk.count >= 65536 {
                flush()
                if full() { break }
            }
        }
        flush()
        return ids
    }

    /// Greedy longest-match-first WordPiece; a word longer than `max_input_chars_per_word`, or with a
    /// piece not in the vocabulary, is one [UNK].
    func wordPiece(_ word: ArraySlice<UInt32>, into ids: inout [Int32]) {
        guard !word.isEmpty else { return }
        guard word.count <= maxInputCharsPerWord else { ids.append(unkTokenId); return }
        let scalars = Array(word)
        let prefix = Array(continuingSubwordPrefix.utf8)
        var pieces: [Int32] = []
        var start = 0
        var key: [UInt8] = []
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key += prefix }
                for c in scalars[start ..< end] { Unicode.UTF8.encode(Unicode.Scalar(c) ?? "\u{FFFD}") { key.append($0) } }
                if let id = exactVocab[key] { found = id; break }
                end -= 1
            }
            guard let found else { ids.append(unkTokenId); return }
            pieces.append(found)
            start = end
        }
        ids += pieces
    }
}
