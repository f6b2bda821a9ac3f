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

    /// Words longer than this (in bytes) are merged with a heap (O(n log n)) and never cached:
    /// the rank scan below is quadratic, and a cache of hostile 100k-byte words would hold
    /// gigabytes (tokenizers caches only words under 256 characters, for the same reason).
    static let longWord = 256

    /// Appends the ids of one pre-token (its UTF-8 bytes) to `out`.
    func encode(word: [UInt8], into out: inout [Int32]) {
        guard !word.isEmpty else { return }
        if word.count > Self.longWord { out.append(contentsOf: mergeWithHeap(word)); return }
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

    /// The same merges as `merge` (lowest rank first, leftmost on ties) in O(n log n): symbols
    /// form a linked list, candidate pairs wait in a min-heap keyed (rank, position), and a
    /// popped pair is applied only if the two symbols there still form it (tokenizers' merge_all).
    func mergeWithHeap(_ word: [UInt8]) -> [Int32] {
        let n = word.count
        var ids = word.map { byteIds[Int($0)] }
        ids[n - 1] = byteEndIds[Int(word[n - 1])]
        var next = Array(1 ... n), prev = Array(-1 ..< n - 1)
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func rank(_ p: Int) -> UInt64? {
            let q = next[p]
            guard q >= 0, let m = merges[UInt64(UInt32(bitPattern: ids[p])) << 32 | UInt64(UInt32(bitPattern: ids[q]))] else { return nil }
            return m
        }
        func push(_ p: Int) { if let m = rank(p) { heap.push((m >> 32) << 32 | UInt64(p)) } }
        for p in 0 ..< n - 1 { push(p) }
        while let top = heap.pop() {
            let p = Int(top & 0xFFFF_FFFF)
            guard alive[p], let m = rank(p), m >> 32 == top >> 32 else { continue }
            let q = next[p]
            ids[p] = Int32(bitPattern: UInt32(truncatingIfNeeded: m))
            alive[q] = false
            next[p] = next[q]
            if next[q] >= 0 { prev[next[q]] = p }
            if prev[p] >= 0 { push(prev[p]) }
            push(p)
        }
        var out: [Int32] = []
        var p = 0
        while p >= 0 { out.append(ids[p]); p = next[p] }
        return out
    }

    func merge(_ word: [UInt8]) -> [Int32] {
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

/// A binary min-heap of UInt64 keys (rank << 32 | position) for `mergeWithHeap`.
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ key: UInt64) {
        items.append(key)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l] < items[smallest] { smallest = l }
            if r < items.count && items[r] < items[smallest] { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return first
    }
}
