import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode models list|pull|info`: the Hugging Face cache as vlmnode sees it.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, download and describe models (Hugging Face cache: HF_HUB_CACHE / HF_HOME).",
        subcommands: [List.self, Pull.self, Info.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Models in the Hugging Face cache, with revisions and sizes.")

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let store = ModelStore()
            let models = store.cachedModels()
            if json {
                let entries = models.map { model -> [String: Any] in
                    ["id": model.id, "path": model.folder.path, "size": model.size, "incomplete_bytes": model.incompleteBytes,
                     "snapshots": model.snapshots.map { ["commit": $0.commit, "refs": $0.refs, "files": $0.files,
                                                         "size": $0.size, "path": $0.folder.path] as [String: Any] }]
                }
                try printJSON(["cache": store.cache.root.path, "models": entries])
                return
            }
            guard !models.isEmpty else {
                print("No models in \(store.cache.root.path)")
                return
            }
            print("Cache: \(store.cache.root.path)")
            let rows = models.map { model -> [String] in
                let revisions = model.snapshots.map { snap in
                    (snap.refs.isEmpty ? "" : snap.refs.joined(separator: ",") + "=") + snap.commit.prefix(10)
                }.joined(separator: " ")
                var size = TerminalProgressBar.format(model.size)
                if model.incompleteBytes > 0 { size += " (+\(TerminalProgressBar.format(model.incompleteBytes)) partial)" }
                return [model.id, revisions.isEmpty ? "-" : revisions, size]
            }
            printTable(header: ["MODEL", "REVISIONS", "SIZE"], rows: rows)
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download models into the cache, or bring them up to date; prints their folders.",
            discussion: """
                A model is a hub id (org/name[@revision]) or a short name: \(ModelAliases.table.map { "\($0.name) = \($0.repo)" }.joined(separator: ", ")).
                --for FILE fetches every model the launch file's nodes load (their model params, else the \
                node types' defaults), so a robot can be prepared before it goes offline; FILE is found as \
                `vlmnode launch` finds it, and name:=value words set its args.
                """)

        @Argument(help: "Hub ids or short names (e.g. owlvit, openai/clip-vit-base-patch32@main); with --for, name:=value arg overrides.")
        var words: [String] = []

        @Option(name: .customLong("for"), help: "A launch file (path or name): pull every model its nodes need.")
        var launchFile: String?

        func run() throws {
            do {
                let models = try launchFile.map { try LaunchModels.needed(byLaunchFile: $0, overrides: words) } ?? words
                guard !models.isEmpty || launchFile != nil else {
                    throw CLIError("give a model (hub id or short name: \(ModelAliases.names)) or --for LAUNCHFILE")
                }
                let store = ModelStore()
                var pulled = Set<String>()
                for model in models {
                    if let folder = try store.localFolder(model) {
                        printError("\(model): a local folder, nothing to fetch")
                        print(folder.path)
                        continue
                    }
                    let id = try ModelStore.hubID(model)
                    guard pulled.insert(id.description).inserted else { continue }
                    print(try store.pull(id).folder.path)
                }
            } catch {
                throw failure(error)
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Architecture, parameter count, dtypes and files of a model (hub id or folder).")

        @Argument(help: "Hub id (org/name[@revision]), short name (owlvit, clip, xclip, clipseg) or a model folder.")
        var model: String

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            do {
                let store = ModelStore()
                // A folder is described as it is, even when incomplete; a hub id is resolved (maybe downloaded).
                let resolved = try store.localFolder(model).map { ResolvedModel(folder: $0, source: .localFolder, id: nil, commit: nil) }
                    ?? store.resolve(model)
                let info = try ModelInfo(resolved)
                if json { try printJSON(info.json) } else { print(info.text, terminator: "") }
            } catch {
                throw failure(error)
            }
        }
    }
}

/// Prints `error` as one line on stderr and turns it into exit status 1.
private func failure(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("vlmnode: \(error)\n".utf8))
    return ExitCode(1)
}

private func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

private func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let padded = row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
        print(padded.joined(separator: "  "))
    }
}
