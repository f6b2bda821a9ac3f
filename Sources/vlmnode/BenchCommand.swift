import ArgumentParser

/// `vlmnode bench …`: benchmarks that print figures (never timed unit tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print performance figures measured against reference tools on this machine.",
        subcommands: [BenchDecodeCommand.self])
}
