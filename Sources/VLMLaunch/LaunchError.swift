import Foundation

/// Where an element starts in a launch file (1-based line and column of its `<`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line`, the prefix of every launch diagnostic.
    public var description: String { "\(file):\(line)" }
}

/// One problem in a launch file: `file:line: message` (bad XML also gives the column).
public struct LaunchError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String
    /// Include the column in the description (XML syntax errors).
    public var showsColumn: Bool

    public init(_ message: String, at location: SourceLocation?, showsColumn: Bool = false) {
        self.location = location
        self.message = message
        self.showsColumn = showsColumn
    }

    public var description: String {
        guard let location else { return message }
        return showsColumn ? "\(location.file):\(location.line):\(location.column): \(message)"
                           : "\(location): \(message)"
    }
}

/// Every problem validation found, in file order; nothing is started when this is thrown.
public struct LaunchValidationError: Error, Sendable, CustomStringConvertible {
    public var errors: [LaunchError]

    public init(_ errors: [LaunchError]) { self.errors = errors }

    /// One line per problem.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
