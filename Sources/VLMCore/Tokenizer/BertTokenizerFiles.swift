// Reading BertTokenizer folders as transformers 5 does: tokenizer.json (a `tokenizers` WordPiece
// pipeline) or vocab.txt, with tokenizer_config.json and special_tokens_map.json.
import Foundation

enum BertTokenizerFiles {
    /// vocab.txt: one token per line, id = line number (a repeated token keeps its last line, as transformers' load_vocab).
    static func readVocabTxt(_ url: URL, into spec: inout BertTokenizer.Spec) throws {
        guard let data = try? Data(contentsOf: url) else { throw TokenizerError.badFile(url.path, "cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw TokenizerError.badFile(url.path, "is not UTF-8") }
        // Split on the byte 0x0A: String.split would treat "\r\n" as one Character and compare canonically.
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty, lines.count < Int(Int32.max) else { throw TokenizerError.badFile(url.path, "is empty or too long") }
        for (i, line) in lines.enumerated() {
            spec.exactVocab[line] = Int32(i)
            spec.vocab[String(decoding: line, as: UTF8.self)] = Int32(i)
        }
    }

    /// tokenizer_config.json (and, for roles it leaves out, special_tokens_map.json): lower-casing,
    /// accents, CJK, special tokens, model_max_length. Both files are optional.
    static func readConfig(folder: URL, into spec: inout BertTokenizer.Spec) throws {
        var values: [String: Any] = [:]
        let map = folder.appendingPathComponent("special_tokens_map.json")
        let config = folder.appendingPathComponent("tokenizer_config.json")
        for url in [map, config] where FileManager.default.fileExists(atPath: url.path) {
            guard let object = try TokenizerFiles.readJSON(url) as? [String: Any] else {
                throw TokenizerError.badFile(url.path, "expected a JSON object")
            }
            values.merge(object) { _, new in new }
        }
        func token(_ key: String) -> String? {
            if let s = values[key] as? String { return s }
            return (values[key] as? [String: Any])?["content"] as? String
        }
        spec.unk = token("unk_token") ?? spec.unk
        spec.cls = token("cls_token") ?? spec.cls
        spec.sep = token("sep_token") ?? spec.sep
        spec.pad = token("pad_token") ?? spec.pad
        spec.mask = token("mask_token") ?? spec.mask
        if let v = values["do_lower_case"] as? Bool { spec.normalizer.lowercase = v }
        if let v = values["strip_accents"] as? Bool { spec.normalizer.stripAccents = v }
        if let v = values["tokenize_chinese_chars"] as? Bool { spec.normalizer.handleChineseChars = v }
        if let max = values["model_max_length"] as? NSNumber, max.doubleValue >= 1, max.doubleValue < 1e9 {
            spec.modelMaxLength = max.intValue  // transformers' "unlimited" is ~1e30
        }
    }

    /// tokenizer.json: a WordPiece model behind a BertNormalizer and a BertPreTokenizer; its added tokens.
    static func readTokenizerJSON(_ url: URL, into spec: inout BertTokenizer.Spec) throws {
        func bad(_ reason: String) -> TokenizerError { .badFile(url.path, reason) }
        guard let root = try TokenizerFiles.readJSON(url) as? [String: Any] else { throw bad("expected a JSON object") }
        guard let model = root["model"] as? [String: Any], model["type"] as? String == "WordPiece" else {
            throw bad("model is \((root["model"] as? [String: Any])?["type"] ?? "missing"), expected WordPiece (a BERT tokenizer)")
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw bad("model.vocab is not an object") }
        spec.vocab = try TokenizerFiles.vocab(from: vocab, file: url.path)
        // JSONSerialization's keys keep their code points; a canonically equal pair would collide in
        // a [String: _] (Swift compares canonically), so the exact table is built from the raw keys.
        for (token, id) in vocab { if let n = id as? NSNumber { spec.exactVocab[Array(token.utf8)] = n.int32Value } }
        if let unk = model["unk_token"] as? String { spec.unk = unk }
        if let prefix = model["continuing_subword_prefix"] as? String { spec.prefix = prefix }
        if let max = model["max_input_chars_per_word"] as? NSNumber {
            guard max.intValue > 0, max.intValue <= 1 << 20 else { throw bad("max_input_chars_per_word \(max) is out of range") }
            spec.maxInputChars = max.intValue
        }
        if let n = root["normalizer"] as? [String: Any] {
            guard n["type"] as? String == "BertNormalizer" else { throw bad("normalizer \(n["type"] ?? "?") is not BertNormalizer") }
            spec.normalizer = BertNormalizer(cleanText: n["clean_text"] as? Bool ?? true,
                                             handleChineseChars: n["handle_chinese_chars"] as? Bool ?? true,
                                             stripAccents: n["strip_accents"] as? Bool, lowercase: n["lowercase"] as? Bool ?? true)
        }
        if let p = root["pre_tokenizer"] as? [String: Any], p["type"] as? String != "BertPreTokenizer" {
            throw bad("pre_tokenizer \(p["type"] ?? "?") is not BertPreTokenizer")
        }
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.int32Value else {
                throw bad("an added token has no content or id")
            }
            spec.added.append(AddedToken(content: content, id: id, normalized: entry["normalized"] as? Bool ?? false,
                                         lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false,
                                         singleWord: entry["single_word"] as? Bool ?? false))
        }
    }
}
