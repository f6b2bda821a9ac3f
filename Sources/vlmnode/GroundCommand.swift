import ArgumentParser
import Foundation
import Grounding

/// `vlmnode ground IMAGE "COMMAND"`: a language command -> the targets a robot acts on.
struct GroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Parse a command such as \"pick up the red cup and put it in the blue bowl\" and ground it in an image.",
        discussion: "The grammar is documented in docs/grounding.md. --parse-only prints the parsed intent without loading any model.")

    @Argument(help: "The image to ground the command in (omit with --parse-only).")
    var image: String?

    @Argument(help: "The command, in quotes.")
    var command: String?

    @Flag(help: "Print the parsed intent only; load no model.")
    var parseOnly = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    mutating func run() throws {
        // With --parse-only a single positional argument is the command.
        let commandText: String
        if parseOnly, command == nil, let only = image { commandText = only } else if let command { commandText = command } else {
            throw ValidationError("missing the command: vlmnode ground IMAGE \"COMMAND\" (or --parse-only \"COMMAND\")")
        }
        let intent: CommandIntent
        do {
            intent = try CommandParser.parse(commandText)
        } catch let error as CommandParseError {
            throw CLIError("command: \(error.message)")
        }
        guard parseOnly else {
            throw CLIError("grounding in an image needs the OWL-ViT and CLIPSeg models, which this build does not have yet; use --parse-only")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(intent), as: UTF8.self))
        } else {
            print(IntentText.describe(intent))
        }
    }
}

/// Human-readable rendering of a parsed intent.
enum IntentText {
    static func describe(_ intent: CommandIntent) -> String {
        var lines = ["action:      \(intent.steps.map(\.action.rawValue).joined(separator: " then "))",
                     "object:      \(phrase(intent.object))"]
        if let d = intent.destination {
            let target = d.phrase.map(phrase) ?? "the \(d.region!.rawValue) of the image"
            lines.append("destination: \(d.relation.rawValue.split(separator: "_").joined(separator: " ")) \(target)")
        }
        if let r = intent.recipient { lines.append("recipient:   \(r)") }
        return lines.joined(separator: "\n")
    }

    static func phrase(_ p: ObjectPhrase) -> String {
        "\"\(p.query)\"" + (p.qualifier.map { " (\($0.name))" } ?? "")
    }
}
