import ArgumentParser

/// `vlmnode bench …`: performance figures printed by a command (never a timed unit test).
/// Each model's benchmark is its own subcommand file; register it here.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks at the real architecture sizes with random weights (no download).",
        subcommands: [
            BenchClipCommand.self,
            BenchLoadCommand.self,
        ])
}
