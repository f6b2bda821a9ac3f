/// Parses imperative English commands into a `CommandIntent` with a small deterministic grammar
/// (docs/grounding.md). It never guesses: a command it cannot read is a `CommandParseError`
/// whose message says what was missing.
///
///     command := filler* clause (joiner clause)* filler*
///     clause  := verb object [particle] [destination | recipient]
///     joiner  := "and" | "then" | "and then" | "," | "after that"   (only when a verb follows)
public enum CommandParser {
    public static func parse(_ command: String) throws -> CommandIntent {
        let tokens = tokenize(command)
        guard !tokens.isEmpty else { throw CommandParseError("empty command: say what to do, e.g. 'pick up the red cup'") }
        if let negation = tokens.first(where: { ["don't", "dont", "not", "never", "do't"].contains($0) }) {
            throw CommandParseError("'\(negation)': negated commands are not supported; say what to do instead")
        }
        var steps: [Step] = []
        for clause in splitClauses(stripFillers(tokens)) {
            steps.append(try parseClause(clause, previous: steps.last?.object))
        }
        let object = steps[0].object
        if let other = steps.first(where: { $0.object.query != object.query }) {
            throw CommandParseError("one object per command: found '\(object.query)' and '\(other.object.query)'")
        }
        return CommandIntent(command: command, steps: steps)
    }

    /// Lowercased words; commas kept as their own token (they can join clauses); other
    /// punctuation dropped; curly apostrophes straightened.
    static func tokenize(_ command: String) -> [String] {
        var cleaned = ""
        for scalar in command.lowercased().unicodeScalars {
            switch scalar {
            case "\u{2019}", "\u{2018}": cleaned.unicodeScalars.append("'")
            case ",", ";": cleaned += " , "
            case _ where scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "'" || scalar == "-":
                cleaned.unicodeScalars.append(scalar)
            default: cleaned += " "
            }
        }
        var tokens = cleaned.split(whereSeparator: \.isWhitespace).map(String.init)
        while tokens.first == "," { tokens.removeFirst() }
        while tokens.last == "," { tokens.removeLast() }
        return tokens
    }

    /// Splits at a joiner only when a verb (after fillers) follows, so "black and white mug" stays whole.
    static func splitClauses(_ tokens: [String]) -> [[String]] {
        var clauses: [[String]] = []
        var current: [String] = []
        var i = 0
        while i < tokens.count {
            if let joiner = Lexicon.clauseJoiners.first(where: { tokens.hasPrefix($0, at: i) }) {
                let rest = stripFillers(Array(tokens[(i + joiner.count)...]))
                if !current.isEmpty, matchVerb(rest) != nil {
                    clauses.append(current)
                    current = []
                    i += joiner.count
                    continue
                }
            }
            current.append(tokens[i])
            i += 1
        }
        if !current.isEmpty { clauses.append(current) }
        return clauses
    }

    static func stripFillers(_ tokens: [String]) -> [String] {
        var tokens = tokens
        var changed = true
        while changed {
            changed = false
            for filler in Lexicon.leadingFillers where tokens.hasPrefix(filler, at: 0) && tokens.count > filler.count {
                tokens.removeFirst(filler.count)
                changed = true
            }
            while tokens.first == "," { tokens.removeFirst(); changed = true }
            for filler in Lexicon.trailingFillers where tokens.count > filler.count
                && tokens.hasPrefix(filler, at: tokens.count - filler.count) {
                tokens.removeLast(filler.count)
                changed = true
            }
        }
        return tokens
    }

    static func matchVerb(_ tokens: [String]) -> Lexicon.VerbForm? {
        Lexicon.verbs.first { tokens.hasPrefix($0.words, at: 0) }
    }

    static func parseClause(_ rawTokens: [String], previous: ObjectPhrase?) throws -> Step {
        let tokens = stripFillers(rawTokens)
        let said = tokens.joined(separator: " ")
        guard let verb = matchVerb(tokens) else {
            throw CommandParseError("no action in '\(said)': start with a verb such as pick up, put, move, push, point to, look at, find, go to or give")
        }
        let verbText = verb.words.joined(separator: " ")
        var rest = Array(tokens.dropFirst(verb.words.count))
        var action = verb.action
        var recipient = verb.recipient

        // Phrasal particles after the object: "pick the cup up", "put it down".
        if let particle = verb.particleAfterObject, rest.last == particle { rest.removeLast() }
        if action == .put, rest.last == "down" { rest.removeLast(); action = .place }
        if action == .give, rest.count > 1, rest.last == "here" { rest.removeLast(); recipient = "me" }

        if rest.contains("between") {
            throw CommandParseError("'between' destinations are not supported in '\(said)': name one reference object")
        }
        var objectTokens = rest
        var destination: Destination?
        if Lexicon.takesDestination.contains(action), let split = destinationStart(in: rest, action: action) {
            objectTokens = Array(rest[..<split.index])
            let target = Array(rest[(split.index + split.span)...])
            if action == .give, split.relation == .to, target.count == 1, Lexicon.recipients.contains(target[0]) {
                recipient = target[0] == "here" ? "me" : target[0]
            } else {
                destination = try parseDestination(split.relation, target, said: said)
            }
        } else if [.move, .push].contains(action), let last = rest.last, let region = Lexicon.regions[last],
                  rest.count >= 2, Lexicon.qualifierWords[rest[rest.count - 2]] == nil {
            // "push the box left": a bare direction word after the object.
            objectTokens = Array(rest.dropLast())
            destination = Destination(relation: .to, phrase: nil, region: region)
        }

        let object: ObjectPhrase
        if objectTokens.count == 1, Lexicon.pronouns.contains(objectTokens[0]) {
            guard let previous else {
                throw CommandParseError("'\(objectTokens[0])' refers to nothing in '\(said)': name the object first")
            }
            object = previous
        } else {
            object = try PhraseParser.parse(objectTokens, verb: verbText)
        }
        if Lexicon.needsDestination.contains(action), destination == nil {
            throw CommandParseError("'\(verbText)' needs a destination: where should the \(object.query) go? e.g. '\(verbText) the \(object.query) in the bowl'")
        }
        return Step(action: action, object: object, destination: destination, recipient: recipient)
    }

    /// Where the destination starts in the words after the verb. A position phrase such as
    /// "on the left" belongs to the object when another destination follows it ("put the cup on
    /// the left in the bowl"); at the end of a clause that needs a destination it is the destination.
    static func destinationStart(in tokens: [String], action: Action) -> (index: Int, span: Int, relation: Relation)? {
        var i = 1  // the object needs at least one word
        while i < tokens.count {
            if let (_, span) = PhraseParser.postQualifier(in: tokens, at: i),
               !tokens.hasPrefix(["of"], at: i + span) {
                let laterDestination = destinationStart(in: Array(tokens[(i + span)...]), action: action, from: 0) != nil
                if laterDestination || !Lexicon.needsDestination.contains(action) {
                    i += span
                    continue
                }
                let relation: Relation = tokens[i] == "on" ? .on : (tokens[i] == "in" ? .in : .to)
                return (i, 1, relation)
            }
            if tokens.hasPrefix(["from", "the"], at: i) { i += 3; continue }
            if let match = Lexicon.relations.first(where: { tokens.hasPrefix($0.words, at: i) }) {
                return (i, match.words.count, match.relation)
            }
            i += 1
        }
        return nil
    }

    private static func destinationStart(in tokens: [String], action: Action, from start: Int) -> Int? {
        (start..<tokens.count).first { i in Lexicon.relations.contains { tokens.hasPrefix($0.words, at: i) } }
    }

    static func parseDestination(_ relation: Relation, _ tokens: [String], said: String) throws -> Destination {
        var words = tokens
        while let first = words.first, Lexicon.determiners.contains(first) { words.removeFirst() }
        if words.last == "side" || words.last == "corner" { words.removeLast() }
        if words.count == 1, let region = Lexicon.regions[words[0]] {
            return Destination(relation: relation, phrase: nil, region: region)
        }
        if words.count == 1, Lexicon.pronouns.contains(words[0]) {
            throw CommandParseError("'\(words[0])' as a destination is ambiguous in '\(said)': name the place")
        }
        guard !words.isEmpty else {
            throw CommandParseError("no destination after '\(relation.rawValue.split(separator: "_").joined(separator: " "))' in '\(said)'")
        }
        return Destination(relation: relation, phrase: try PhraseParser.parse(tokens, verb: "reach"), region: nil)
    }
}
