import ArgumentParser
import Foundation
import VLMBus

/// `vlmnode keys …`: CURVE key pairs for authenticated, encrypted tcp links (docs/multi-host.md).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "CURVE key pairs for links that leave the host (docs/multi-host.md).",
        subcommands: [KeysGenerateCommand.self])
}

/// `vlmnode keys generate NAME [--dir DIR] [--force]`.
struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write NAME.key (secret and public key, mode 0600) and NAME.pub (public key only).",
        discussion: """
            Both files use ZeroMQ's certificate format (as czmq's zcert writes it; pyzmq's \
            zmq.auth.load_certificate reads them). Give NAME.key to --identity; copy NAME.pub to \
            the peer: into a publisher's --authorized directory, or as a subscriber's --server-key.
            """)

    @Argument(help: "Key name (a file name without /).")
    var name: String

    @Option(help: "Directory to write the files in (created if missing).")
    var dir: String = "."

    @Flag(help: "Replace an existing key pair of that name.")
    var force = false

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create directory \(dir): \(error.localizedDescription)")
        }
        do {
            guard CurveCertificate.isAvailable else { throw CurveKeyError("this libzmq has no CURVE support (built without libsodium)") }
            let paths = try CurveCertificate.generate().write(name: name, directory: dir, force: force)
            emitLine("wrote \(paths.secret) (secret, mode 0600) and \(paths.public) (public)")
        } catch let error as CurveKeyError {
            throw CLIError(error.description)
        }
    }
}
