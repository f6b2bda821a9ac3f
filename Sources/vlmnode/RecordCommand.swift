import ArgumentParser
import Dispatch
import Foundation
import VLMBus
import VLMNode
import VLMRecord

/// `vlmnode record`: subscribe to topics and write every wire message to MCAP.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record topics to an MCAP file (exact wire messages, receive and source times).",
        discussion: "SIGINT/SIGTERM finish the file cleanly. See docs/recording.md for the file layout.")

    @Option(name: [.short, .customLong("output")], help: "Output file (with --max-size: NAME_0.mcap, NAME_1.mcap, …).")
    var output: String

    @Option(name: .customLong("connect"), help: "Endpoint of a publisher (repeat for several).")
    var endpoints: [String] = []

    @Option(name: .customLong("topic"), help: "Topic to record (repeat for several).")
    var topics: [String] = []

    @Flag(help: "Record every topic of the running launched graph.")
    var all = false

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: .customLong("max-size"), help: "Start a new file before this size (e.g. 500M, 2G).")
    var maxSize: String?

    @Option(help: "Compression of chunks of small messages: zstd, lz4 or none.")
    var compression = "zstd"

    @Option(name: .customLong("frame-compression"), help: "Compression of large messages (frames): none, zstd or lz4.")
    var frameCompression = "none"

    @Option(help: "foxglove (default: Foxglove well-known schemas, opens in Foxglove/Lichtblick/Rerun) or native (x-vlmnode-multipart).")
    var format = "foxglove"

    @Flag(help: "No progress line.")
    var quiet = false

    @Flag(help: "Replace output files that already exist (without it, record refuses to overwrite).")
    var force = false

    @Flag(help: "Same host: read frames from the publishers' shared memory (vlmnode publishers only).")
    var shm = false

    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    func validate() throws {
        if all, !(endpoints.isEmpty && topics.isEmpty) {
            throw ValidationError("--all records every topic of the running launch: drop --connect and --topic")
        }
        if !all, topics.isEmpty { throw ValidationError("give --topic T (with --connect ENDPOINT, or a topic of a running launch) or --all") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be > 0 seconds, got \(duration)") }
        if let maxSize, parseByteSize(maxSize) == nil { throw ValidationError("--max-size must be a size like 500M or 2G, got '\(maxSize)'") }
        if RecordFormat(rawValue: format) == nil { throw ValidationError("--format must be foxglove or native, got '\(format)'") }
        if MCAPCompression(displayName: compression) == nil { throw ValidationError("--compression must be zstd, lz4 or none, got '\(compression)'") }
        if MCAPCompression(displayName: frameCompression) == nil {
            throw ValidationError("--frame-compression must be none, zstd or lz4, got '\(frameCompression)'")
        }
    }

    /// Where to subscribe: the endpoints and topics given, the named topics looked up in the running
    /// launch (`GraphRegistry`), or with --all every topic a node of the running launch publishes.
    func sources() throws -> (endpoints: [String], topics: [String]) {
        if all {
            guard let graph = GraphRegistry.current() else {
                throw CLIError("--all: the launcher registry in \(GraphRegistry.directory().path) lists no running launch")
            }
            let published = graph.topics.filter { $0.publisher != nil && $0.endpoint != nil }
            guard !published.isEmpty else { throw CLIError("--all: launch \(graph.launchID) publishes no topics") }
            return (Array(Set(published.compactMap(\.endpoint))).sorted(), published.map(\.name))
        }
        if !endpoints.isEmpty { return (endpoints, topics) }
        do {
            let found = try topics.map { try GraphRegistry.resolve(topic: $0) }
            return (Array(Set(found.compactMap(\.endpoint))).sorted(), topics)
        } catch let error as NodeWiringError {
            throw CLIError(error.description)
        }
    }

    func run() throws {
        var options = RecordOptions(path: output)
        options.maxSize = maxSize.flatMap(parseByteSize)
        options.format = RecordFormat(rawValue: format)!
        options.writer.compression = MCAPCompression(displayName: compression)!
        options.writer.largeMessageCompression = MCAPCompression(displayName: frameCompression)!
        options.writer.overwrite = force
        StopSignal.installHandlers()  // the first SIGINT/SIGTERM finishes the file, a second one kills
        let stop = StopSignal.process
        do {
            // Queue QoS: a recorder wants every message; ~2 s of 30 fps frames may wait in the bus.
            let (endpoints, topics) = try sources()
            let busSecurity = try security.forConnecting()
            if shm, case .curveClient = busSecurity { throw CLIError("--shm is for same-host publishers; drop it with --server-key") }
            let subscriber = shm
                ? try Subscriber(connect: endpoints, sharedMemoryTopics: topics, qos: .queue(capacity: 64))
                : try Subscriber(connect: endpoints, topics: topics, qos: .queue(capacity: 64), security: busSecurity)
            let recorder = try Recorder(options: options)
            let queue = RecordingQueue(capacityBytes: 1 << 30)
            let writer = RecordingWriterThread(recorder: recorder, queue: queue, quiet: quiet)
            writer.start()
            let wanted = Set(topics)
            let start = Clock.monotonicNs()
            let end = duration.map { start + UInt64($0 * 1e9) }
            while !stop.isRaised && writer.failure == nil {
                if let end, Clock.monotonicNs() >= end { break }
                guard let message = subscriber.receive(timeout: 0.05) else { continue }
                let received = Clock.wallNs()
                guard wanted.contains(message.topic) else { continue }  // SUB filters are prefixes
                guard let parts = message.recordableParts else { continue }  // torn: counted by the subscriber
                queue.push(topic: message.topic, parts: parts, receiveTime: received)
            }
            subscriber.close()
            queue.close()
            writer.join()
            if let failure = writer.failure { throw failure }
            try recorder.finish()
            let stats = subscriber.stats
            let shmStats = subscriber.sharedMemoryStats  // frames whose ring slot was reused first
            let busDrops = stats.topics.values.reduce(UInt64(0)) { $0 + $1.overwritten + $1.gaps }
                + shmStats.reclaimed + shmStats.torn + shmStats.unavailable
            if !quiet {
                progress(recorder.progressLine(elapsed: Double(Clock.monotonicNs() - start) / 1e9)
                         + "; dropped \(busDrops) on the bus, \(queue.droppedCount) at the writer", final: true)
            }
            for topic in topics where recorder.counts[topic] == nil {
                FileHandle.standardError.write(Data("warning: no messages on \(topic)\n".utf8))
            }
            print(recorder.files.joined(separator: "\n"))
        } catch {
            exitWithError(error)
        }
    }
}

/// Writes queued messages on its own thread, so disk writes never delay receive timestamps;
/// prints the progress line once a second.
final class RecordingWriterThread: @unchecked Sendable {
    private let recorder: Recorder
    private let queue: RecordingQueue
    private let quiet: Bool
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var error: Error?

    init(recorder: Recorder, queue: RecordingQueue, quiet: Bool) {
        self.recorder = recorder; self.queue = queue; self.quiet = quiet
    }

    /// The error that stopped writing (e.g. disk full), if any.
    var failure: Error? { lock.lock(); defer { lock.unlock() }; return error }

    func start() {
        let thread = Thread { [self] in
            do { try self.loop() } catch {
                self.lock.lock(); self.error = error; self.lock.unlock()
                // Keep draining so the receiving side never blocks on a dead writer.
                while self.queue.pop(timeout: 0.05) != nil {}
            }
            self.done.signal()
        }
        thread.name = "vlmnode-record-writer"
        thread.start()
    }

    func join() { done.wait() }

    private func loop() throws {
        let start = Clock.monotonicNs()
        var lastProgress = start
        while true {
            if let item = queue.pop(timeout: 0.05) {
                try recorder.record(topic: item.topic, parts: item.parts, receiveTime: item.receiveTime)
            } else {
                if queue.isClosedAndEmpty { return }
                try recorder.tick()
            }
            let now = Clock.monotonicNs()
            if !quiet && now - lastProgress >= 1_000_000_000 {
                progress(recorder.progressLine(elapsed: Double(now - start) / 1e9))
                lastProgress = now
            }
        }
    }
}
