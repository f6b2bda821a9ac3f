import Foundation

/// Byte-level BPE as the `tokenizers` BPE model with `end_of_word_suffix = "</w>"`: a word's bytes
/// become byte characters (GPT-2's bytes_to_unicode), the last one with "</w>"; then the pair with
/// the lowest merge rank (leftmost on ties) is merged until none is left. Works on ids, caches words.
final class BytePairEncoder: @unchecked Sendable {
    /// Id of each byte's character, and of the same character followed by "</w>".
    private let byteIds: [Int32]
    private let byteEndIds: [Int32]
    /// (left id << 32 | right id) -> (rank << 32 | merged id).
    private let merges: [UInt64: UInt64]
    private let lock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    private static let cacheCapacity = 10_000

    /// GPT-2 / CLIP mapping from bytes to printable characters.
    static let byteCharacters: [String] = {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [String](repeating: "", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = String(Character(Unicode.Scalar(UInt32(c))!)) }
        return table
    }()

    /// `merges` are (left, right) token strings in rank order. Throws naming the first merge or
    /// byte character the vocabulary lacks.
    init(vocab: [String: Int32], merges pairs: [(String, String)], unkId: Int32?, source: String) throws {
        func id(_ token: String, _ what: String) throws -> Int32 {
            if let id = vocab[token] { return id }
            if let unkId { return unkId }
            throw TokenizerError.badFile(source, "\(what) \"\(token)\" is not in the vocabulary")
        }
        var byteIds: [Int32] = [], byteEndIds: [Int32] = []
        for ch in Self.byteCharacters {
            byteIds.append(try id(ch, "byte character"))
            byteEndIds.append(try id(ch + "</w>", "byte character"))
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let ia = vocab[a], let ib = vocab[b], let merged = vocab[a + b] else {
                throw TokenizerError.badFile(source, "merge \(rank + 1) \"\(a) \(b)\" uses a token that is not in the vocabulary")
            }
            let key = UInt64(UInt32(bitPattern: ia)) << 32 | UInt64(UInt32(bitPattern: ib))
            if table[key] == nil {  // CLIP has no duplicate merges; should one occur, keep its first rank
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        self.byteIds = byteIds
        self.byteEndIds = byteEndIds
        self.merges = table
    }

    /// Appends the ids of one pre-token (its UTF-8 bytes) to `out`.
    func encode(word: [UInt8], into out: inout [Int32]) {
        guard !word.isEmpty else { return }
        lock.lock()
        let hit = cache[word]
        lock.unlock()
        if let hit { out.append(contentsOf: hit); return }
        let ids = merge(word)
        lock.lock()
        if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
        cache[word] = ids
        lock.unlock()
        out.append(contentsOf: ids)
    }

    private func merge(_ word: [UInt8]) -> [Int32] {
        var symbols = word.map { byteIds[Int($0)] }
        symbols[symbols.count - 1] = byteEndIds[Int(word[word.count - 1])]
        var count = symbols.count
        symbols.withUnsafeMutableBufferPointer { s in
            while count > 1 {
                var bestRank = UInt64.max, bestPos = -1, bestId: Int32 = 0
                var left = UInt64(UInt32(bitPattern: s[0]))
                for p in 0..<(count - 1) {
                    let right = UInt64(UInt32(bitPattern: s[p + 1]))
                    if let m = merges[left << 32 | right], m >> 32 < bestRank {
                        bestRank = m >> 32
                        bestPos = p
                        bestId = Int32(bitPattern: UInt32(truncatingIfNeeded: m))
                    }
                    left = right
                }
                if bestPos < 0 { break }
                s[bestPos] = bestId
                for q in (bestPos + 1)..<(count - 1) { s[q] = s[q + 1] }
                count -= 1
            }
        }
        return Array(symbols[0..<count])
    }
}
