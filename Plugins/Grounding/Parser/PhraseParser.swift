/// Object phrases: "the second small red cup from the left" -> query "small red cup",
/// qualifier ordinal(2, from: left). Determiners are dropped; qualifiers select among candidates
/// and are kept out of the query so the detector is asked only for what things look like.
enum PhraseParser {
    /// Post-noun qualifier patterns ("on the left", "closest to me"), longest first.
    private static let postQualifiers: [(words: [String], qualifier: SpatialQualifier)] = [
        (["on", "the", "left", "side"], .leftmost), (["on", "the", "right", "side"], .rightmost),
        (["closest", "to", "the", "camera"], .nearest), (["nearest", "to", "the", "camera"], .nearest),
        (["closest", "to", "the", "robot"], .nearest), (["nearest", "to", "the", "robot"], .nearest),
        (["on", "the", "left"], .leftmost), (["on", "the", "right"], .rightmost),
        (["at", "the", "top"], .topmost), (["at", "the", "bottom"], .bottommost),
        (["in", "the", "middle"], .middle), (["in", "the", "center"], .middle), (["in", "the", "centre"], .middle),
        (["closest", "to", "me"], .nearest), (["nearest", "to", "me"], .nearest),
        (["closest", "to", "you"], .nearest), (["nearest", "to", "you"], .nearest),
        (["farthest", "from", "me"], .farthest), (["furthest", "from", "me"], .farthest),
        (["farthest", "away"], .farthest), (["furthest", "away"], .farthest),
    ].sorted { $0.words.count > $1.words.count }

    /// The post-noun qualifier that starts at `index`, if any, and how many words it spans.
    static func postQualifier(in tokens: [String], at index: Int) -> (SpatialQualifier, Int)? {
        for pattern in postQualifiers where tokens.hasPrefix(pattern.words, at: index) {
            return (pattern.qualifier, pattern.words.count)
        }
        return nil
    }

    static func parse(_ input: [String], verb: String) throws -> ObjectPhrase {
        var tokens = input
        while let first = tokens.first, Lexicon.determiners.contains(first) { tokens.removeFirst() }
        if tokens.starts(with: ["one", "of", "the"]) { tokens.removeFirst(3) }
        let text = tokens.joined(separator: " ")
        guard !tokens.isEmpty else { throw CommandParseError("no object after '\(verb)': name what to \(verb), e.g. '\(verb) the red cup'") }

        var qualifier: SpatialQualifier?
        func setQualifier(_ q: SpatialQualifier) throws {
            if let qualifier, qualifier != q {
                throw CommandParseError("conflicting position words in '\(text)': choose one of them")
            }
            qualifier = q
        }

        // "from the left/right/top/bottom" turns an ordinal's counting side.
        var countFrom: SpatialQualifier.Side?
        var words: [String] = []
        var i = 0
        while i < tokens.count {
            if tokens.hasPrefix(["from", "the"], at: i), i + 2 < tokens.count,
               let side = SpatialQualifier.Side(rawValue: tokens[i + 2]) {
                countFrom = side
                i += 3
            } else if let (q, span) = postQualifier(in: tokens, at: i), i > 0 {
                try setQualifier(q)
                i += span
            } else {
                words.append(tokens[i])
                i += 1
            }
        }

        var nouns: [String] = []
        var ordinal: Int?
        for word in words {
            if let n = Lexicon.ordinals[word] {
                ordinal = n
            } else if word == "last" {
                try setQualifier(.rightmost)
            } else if let q = Lexicon.qualifierWords[word],
                      word != words.last || !Lexicon.positionNouns.contains(word) {
                // "the top shelf" qualifies, but "the top" alone names a thing.
                try setQualifier(q)
            } else {
                nouns.append(word)
            }
        }
        if let ordinal {
            try setQualifier(.ordinal(index: ordinal, from: countFrom ?? .left))
        } else if let countFrom {
            throw CommandParseError("'from the \(countFrom.rawValue)' needs a position such as 'second' in '\(text)'")
        }
        guard let last = nouns.last else {
            throw CommandParseError("no object in '\(text)': say what it is, e.g. 'the \(text) cup'")
        }
        // "the red one": the object's class is unknown, so ask for any object of that description.
        let head = last == "one" ? "object" : last
        let attributes = Array(nouns.dropLast())
        return ObjectPhrase(text: text, query: (attributes + [head]).joined(separator: " "),
                            head: head, attributes: attributes, qualifier: qualifier)
    }
}

extension Array where Element == String {
    /// Whether `words` occurs in this array starting at `index`.
    func hasPrefix(_ words: [String], at index: Int) -> Bool {
        guard index >= 0, index + words.count <= count else { return false }
        for (offset, word) in words.enumerated() where self[index + offset] != word { return false }
        return true
    }
}
