import ArgumentParser
import Foundation

/// A user-facing failure: printed as one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
