import ArgumentParser
import Foundation
import VLMBus
import VLMNode
import VLMRecord

/// `vlmnode play`: republish a recording with its original timing.
struct PlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Republish an MCAP recording on its original topics with the original timing.",
        discussion: "Space toggles pause when stdin is a terminal; q or SIGINT stops.")

    @Argument(help: "The MCAP file.")
    var file: String

    @Option(name: .customLong("bind"), help: "Endpoint to publish on (default: loopback tcp, free port; printed).")
    var endpoint = Endpoint.defaultPublisher

    @Option(help: "Speed factor (2 = twice as fast).")
    var rate = 1.0

    @Flag(help: "Start again from the beginning at the end.")
    var loop = false

    @Option(help: "Only these topics (comma-separated or repeated).")
    var topics: [String] = []

    @Option(help: "Publish topic FROM as TO: FROM:=TO (repeat for several).")
    var remap: [String] = []

    @Option(name: .customLong("start-offset"), help: "Seconds into the recording to start at.")
    var startOffset = 0.0

    @Option(help: "Seconds of the recording to play.")
    var duration: Double?

    @Flag(name: .customLong("start-paused"), help: "Start paused (space to resume when stdin is a terminal).")
    var startPaused = false

    @Option(help: "Seconds to wait after binding before the first message, so subscribers can connect.")
    var delay = 0.5

    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    func validate() throws {
        if startPaused && isatty(STDIN_FILENO) != 1 {
            throw ValidationError("--start-paused needs a terminal on stdin (the space bar resumes)")
        }
    }

    func run() throws {
        var options = PlaybackOptions()
        options.rate = rate
        options.loop = loop
        let topicList = topics.flatMap { $0.split(separator: ",").map(String.init) }
        options.topics = topicList.isEmpty ? nil : Set(topicList)
        options.startOffset = startOffset
        options.duration = duration
        options.startPaused = startPaused
        do {
            options.remap = try parseRemaps(remap).get()
            let player = try Player(path: file, options: options)
            let (busSecurity, allowRemote) = try security.forBinding(endpoint)
            let publisher = try Publisher(bind: endpoint, qos: .queue(capacity: 64), allowRemote: allowRemote,
                                          security: busSecurity)
            progress("publishing on \(publisher.endpoint)")
            let control = player.control
            StopSignal.installHandlers()
            let watcher = StopWatcher(StopSignal.process) { control.stop() }
            defer { watcher.cancel() }
            let keys = TerminalKeys { key in
                if key == UInt8(ascii: " ") {
                    control.toggle()
                    progress(control.isPaused ? "paused (space to resume)" : "playing")
                } else if key == UInt8(ascii: "q") {
                    control.stop()
                }
            }
            defer { keys?.restore() }
            if startPaused { progress("paused (space to resume)") }
            if delay > 0 { Clock.sleep(untilMonotonic: Clock.monotonicNs() + UInt64(delay * 1e9)) }
            // Staged before the deadline: a frame for shared-memory subscribers is in its slot already.
            let stats = try player.run(prepare: { try publisher.stage(try PreparedBusMessage(topic: $0, recordedParts: $1)) },
                                       send: { try publisher.publish($0) })
            keys?.restore()
            progress("played \(stats.messages) messages (\(BagInfo.formatBytes(UInt64(stats.bytes)))) in \(stats.loops) round(s); "
                     + String(format: "max lateness %.2f ms", Double(stats.maxLatenessNs) / 1e6), final: true)
        } catch {
            exitWithError(error)
        }
    }
}
