import ArgumentParser

/// A one-line failure the CLI prints on stderr before exiting non-zero.
struct MediaCLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
