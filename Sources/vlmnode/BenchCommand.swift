import ArgumentParser

/// `vlmnode bench …`: performance figures printed by a command (never a timed unit test).
/// Each benchmark is its own subcommand file; register it here.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure transport, decode, loading and model performance at real sizes; prints figures.",
        subcommands: [
            BenchAccuracyCommand.self,
            BenchBusCommand.self,
            BenchDecodeCommand.self,
            BenchLoadCommand.self,
            BenchClipCommand.self,
            BenchGemmCommand.self,
            BenchOwlViTCommand.self,
            BenchXCLIPCommand.self,
            BenchClipSegCommand.self,
            BenchViltCommand.self,
            PreprocessBenchCommand.self,
            BenchViewCommand.self,
        ])
}
