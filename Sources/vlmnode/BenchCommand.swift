import ArgumentParser

/// `vlmnode bench …`: benchmarks that print figures (never timed unit tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure transport, decode and model performance; prints figures.",
        subcommands: [BenchBusCommand.self])
}
