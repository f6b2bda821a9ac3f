import ArgumentParser
import Foundation
import VLMRecord

/// `vlmnode bag …`: inspect MCAP recordings.
struct BagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bag", abstract: "Inspect MCAP recordings.",
        subcommands: [BagInfoCommand.self, BagVerifyCommand.self, BagExportCommand.self, BagBenchWriteCommand.self, BagBenchRecordCommand.self])
}

/// `vlmnode bag info FILE.mcap`
struct BagInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Topics, types, message counts, duration, rates, sizes, compression and chunks of an MCAP file.")

    @Argument(help: "The MCAP file (any writer's).")
    var file: String

    func run() throws {
        do {
            print(try BagInfo(path: file).render())
        } catch {
            exitWithError(error)
        }
    }
}

/// `vlmnode bag verify FILE.mcap`
struct BagVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every CRC of an MCAP file and read every message.")

    @Argument(help: "The MCAP file.")
    var file: String

    func run() throws {
        do {
            let reader = try MCAPReader(path: file)
            // A damaged file fails verify; say first how much of it can still be read.
            if let damage = reader.damage {
                var count = 0
                let it = try reader.messages()
                while try it.nextMessage() != nil { count += 1 }
                emitLine("\(file): \(count) messages recovered; \(damage)")
                throw ExitCode.failure
            }
            try reader.verify()
            var count = 0
            let it = try reader.messages()
            while try it.nextMessage() != nil { count += 1 }
            emitLine("\(file): OK, \(count) messages, CRCs match")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            exitWithError(error)
        }
    }
}

/// `vlmnode bag export IN OUT`
struct BagExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Rewrite a recording as Foxglove-native (default) or native x-vlmnode-multipart.",
        discussion: "Converts files recorded before Foxglove-native recordings so Foxglove, Lichtblick and Rerun can open them; annotation channels are regenerated.")

    @Argument(help: "The MCAP file to read.")
    var input: String

    @Argument(help: "The MCAP file to write (created or replaced).")
    var output: String

    @Option(help: "foxglove or native.")
    var format = "foxglove"

    func validate() throws {
        if RecordFormat(rawValue: format) == nil { throw ValidationError("--format must be foxglove or native, got '\(format)'") }
    }

    func run() throws {
        do {
            let result = try BagExport.convert(input: input, output: output, format: RecordFormat(rawValue: format)!)
            print("\(output): \(result.messages) messages" + (result.skippedDerived > 0 ? ", \(result.skippedDerived) derived annotations regenerated" : ""))
        } catch {
            exitWithError(error)
        }
    }
}

/// Prints the error as one line on stderr (escaped: it may quote a file's or the wire's text) and
/// exits non-zero (the CLI's convention).
func exitWithError(_ error: Error) -> Never {
    emitError("error: \(error)")
    exit(1)
}
