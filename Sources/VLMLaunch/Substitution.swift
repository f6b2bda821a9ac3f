import Foundation

/// What substitutions can see while one launch file is expanded.
public struct SubstitutionContext: Sendable {
    /// Resolved args of the current file.
    public var args: [String: String]
    public var environment: [String: String]
    /// Absolute directory of the current file: `$(dirname)`.
    public var directory: String
    /// Per-launch token that makes `$(anon name)` unique across launches and equal within one.
    public var anonToken: String
    /// Nesting and size ceilings for substitutions.
    public var limits: LaunchLimits

    public init(args: [String: String], environment: [String: String], directory: String, anonToken: String,
                limits: LaunchLimits = .current) {
        self.args = args
        self.environment = environment
        self.directory = directory
        self.anonToken = anonToken
        self.limits = limits
    }
}

/// Stage 2a: `$(arg x)`, `$(env X)`, `$(optenv X default)`, `$(dirname)`, `$(anon name)`,
/// `$(endpoint TOPIC)` and `$(topic TOPIC)` (both filled in at wiring) in attribute text. Substitutions nest: `$(optenv CAMERA $(arg camera))`; `$$` is a literal `$`.
public enum Substitution {
    public static let kinds = ["arg", "env", "optenv", "dirname", "anon", "endpoint", "topic"]

    /// `$(endpoint TOPIC)` and `$(topic TOPIC)` are known only at wiring (stage 3), in the node's
    /// namespace: expansion leaves `<marker>E|T<name><marker>`, which `GraphBuilder` replaces in node
    /// args, params and env.
    static let endpointMarker: Character = "\u{1}"

    /// Substitutes every `$(…)` in `text`; errors name the substitution and carry `location`.
    /// Nesting beyond `limits.maxNesting` and results over `limits.maxValueBytes` are errors (an
    /// arg that doubles another, 40 times over, would otherwise need terabytes).
    public static func evaluate(_ text: String, in context: SubstitutionContext, at location: SourceLocation) throws -> String {
        try evaluate(text, in: context, at: location, depth: 0)
    }

    private static func evaluate(_ text: String, in context: SubstitutionContext, at location: SourceLocation,
                                 depth: Int) throws -> String {
        guard text.contains("$") else { return text }
        guard depth < context.limits.maxNesting else {
            throw LaunchError("substitutions nest deeper than \(context.limits.maxNesting) levels (VLMNODE_LAUNCH_MAX_NESTING)",
                              at: location)
        }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "$", text.index(after: i) < text.endIndex, text[text.index(after: i)] == "$" {
                // `$$` is a literal `$`, so shell text such as `$$((i+1))` survives.
                out.append("$")
                i = text.index(i, offsetBy: 2)
            } else if text[i] == "$", text.index(after: i) < text.endIndex, text[text.index(after: i)] == "(" {
                let bodyStart = text.index(i, offsetBy: 2)
                guard let close = matchingParen(in: text, from: bodyStart) else {
                    throw LaunchError("unterminated substitution '\(LaunchExpander.excerpt(String(text[i...])))'", at: location)
                }
                let body = try evaluate(String(text[bodyStart..<close]), in: context, at: location, depth: depth + 1)
                out += try apply(body, raw: String(text[i...close]), context: context, location: location)
                i = text.index(after: close)
                guard out.utf8.count <= context.limits.maxValueBytes else {
                    throw LaunchError("value grows past \(context.limits.maxValueBytes) bytes after substitution (VLMNODE_LAUNCH_MAX_VALUE_BYTES)",
                                      at: location)
                }
            } else {
                out.append(text[i])
                i = text.index(after: i)
            }
        }
        return out
    }

    private static func matchingParen(in text: String, from start: String.Index) -> String.Index? {
        var depth = 1
        var i = start
        while i < text.endIndex {
            if text[i] == "(" { depth += 1 }
            if text[i] == ")" {
                depth -= 1
                if depth == 0 { return i }
            }
            i = text.index(after: i)
        }
        return nil
    }

    private static func apply(_ body: String, raw: String, context: SubstitutionContext,
                              location: SourceLocation) throws -> String {
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        let kind = String(trimmed.prefix { !$0.isWhitespace })
        let rest = trimmed.dropFirst(kind.count).trimmingCharacters(in: .whitespaces)
        let words = rest.split(whereSeparator: \.isWhitespace).map(String.init)
        switch kind {
        case "arg":
            guard words.count == 1 else { throw LaunchError("\(raw) takes one arg name", at: location) }
            if let value = context.args[words[0]] { return value }
            throw LaunchError("undefined arg '\(words[0])' in \(raw)", at: location)
        case "env":
            guard words.count == 1 else { throw LaunchError("\(raw) takes one variable name", at: location) }
            guard let value = context.environment[words[0]] else {
                throw LaunchError("environment variable '\(words[0])' is not set in \(raw) (use $(optenv \(words[0]) DEFAULT))",
                                  at: location)
            }
            return value
        case "optenv":
            guard let name = words.first else { throw LaunchError("\(raw) needs a variable name", at: location) }
            if let value = context.environment[name] { return value }
            return rest.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        case "dirname":
            guard words.isEmpty else { throw LaunchError("\(raw) takes no arguments", at: location) }
            return context.directory
        case "endpoint", "topic":
            guard words.count == 1 else { throw LaunchError("\(raw) takes one topic name", at: location) }
            return "\(endpointMarker)\(kind == "topic" ? "T" : "E")\(words[0])\(endpointMarker)"
        case "anon":
            guard words.count == 1 else { throw LaunchError("\(raw) takes one name", at: location) }
            return "\(words[0])_\(context.anonToken)"
        default:
            throw LaunchError("unknown substitution \(raw) (known: \(kinds.joined(separator: ", ")))", at: location)
        }
    }

    /// Parses `if`/`unless` values after substitution: true/1 and false/0, anything else is an error.
    public static func condition(_ text: String, attribute: String, at location: SourceLocation) throws -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw LaunchError("\(attribute)=\"\(text)\" must be true or false", at: location)
        }
    }
}
