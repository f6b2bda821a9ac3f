import ArgumentParser
import Foundation
import VLMPlugins
import VLMBus
import VLMMedia

/// Raised by SIGINT/SIGTERM; the frame source polls it (also inside blocking FFmpeg reads).

/// `vlmnode source INPUT`: decode a file, camera, stream or FFmpeg device and publish `vlm/Frame`s.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Publish frames from a file, URL, V4L2 camera or FFmpeg device (e.g. lavfi:testsrc).",
        discussion: """
            INPUT is a file path, a URL FFmpeg opens (rtsp://, http://, udp://…), a V4L2 camera \
            (/dev/video0) or FORMAT:SPEC for an FFmpeg input device, e.g. \
            lavfi:testsrc=size=640x480:rate=30. Files are paced at their native rate unless \
            --no-realtime; live inputs are never paced on top of their own rate.
            """)

    @Argument(help: "File, URL, /dev/videoN or FORMAT:SPEC.")
    var input: String

    @Option(help: "Topic to publish on.")
    var topic: String = "/camera/image"

    @Option(help: "Endpoint to bind (ipc:///path or tcp://127.0.0.1:PORT); default: a free loopback port.")
    var bind: String = "tcp://127.0.0.1:*"

    @Option(help: "Output frame rate (drops or repeats frames by timestamp).")
    var fps: Double?

    @Option(help: "Output size WIDTHxHEIGHT (scaled with swscale).")
    var size: String?

    @Option(help: "Pixel encoding: rgb8, bgr8 or gray8.")
    var encoding: String = "rgb8"

    @Flag(help: "Start over at the end of a file.")
    var loop = false

    @Flag(inversion: .prefixedNo, help: "Pace files at their native rate (live inputs are never paced).")
    var realtime = true

    @Option(help: "Seconds into the input to start at.")
    var start: Double = 0

    @Option(help: "Stop after N frames.")
    var frames: Int?

    @Option(help: "FFmpeg decoder threads (0 = one per core).")
    var threads: Int = 0

    @Option(help: "Seconds to wait for an input (network stream, device) to open.")
    var openTimeout: Double = 10

    @Option(help: "Hold the first frame until N subscribers have connected (at most --wait-timeout seconds).")
    var waitSubscribers: Int = 0

    @Option(help: "Seconds --wait-subscribers waits before publishing anyway.")
    var waitTimeout: Double = 30

    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    @Option(name: .customLong("input-option"),
            help: "KEY=VALUE for the demuxer/device/protocol, e.g. video_size=1280x720, input_format=mjpeg, rtsp_transport=tcp (repeatable).")
    var inputOptions: [String] = []

    /// Checked in `run` (not `validate`) so a bad value prints one line, without the usage text.
    private func checkArguments() throws {
        if let size, FrameSize(size) == nil {
            throw CLIError("bad --size '\(size)': expected WIDTHxHEIGHT such as 640x480 (1…16384 each)")
        }
        if FrameEncoding(rawValue: encoding) == nil {
            throw CLIError("bad --encoding '\(encoding)': expected rgb8, bgr8 or gray8")
        }
        if let fps, !(fps > 0 && fps <= 1000) { throw CLIError("bad --fps \(fps): expected 0 < fps ≤ 1000") }
        if let frames, frames < 1 { throw CLIError("bad --frames \(frames): expected at least 1") }
        if start < 0 { throw CLIError("bad --start \(start): expected seconds ≥ 0") }
        if threads < 0 { throw CLIError("bad --threads \(threads): expected 0 (auto) or more") }
        for option in inputOptions where !option.contains("=") || option.hasPrefix("=") {
            throw CLIError("bad --input-option '\(option)': expected KEY=VALUE")
        }
        if !(openTimeout > 0) { throw CLIError("bad --open-timeout \(openTimeout): expected seconds > 0") }
        if waitSubscribers < 0 { throw CLIError("bad --wait-subscribers \(waitSubscribers): expected 0 or more") }
        if topic.isEmpty { throw CLIError("--topic must not be empty") }
    }

    var options: FrameSourceOptions {
        FrameSourceOptions(size: size.flatMap { FrameSize($0) }, encoding: FrameEncoding(rawValue: encoding) ?? .rgb8,
                           fps: fps, loop: loop, realtime: realtime, start: start, maxFrames: frames,
                           threads: threads, openTimeout: openTimeout,
                           inputOptions: parsedInputOptions)
    }

    var parsedInputOptions: [String: String] {
        var result: [String: String] = [:]
        for option in inputOptions {
            guard let eq = option.firstIndex(of: "=") else { continue }
            result[String(option[..<eq])] = String(option[option.index(after: eq)...])
        }
        return result
    }

    func run() throws {
        try checkArguments()
        let source: FrameSource
        do {
            source = try FrameSource(input: input, options: options, interrupt: MediaStop.interrupt)
        } catch let error as MediaError {
            throw CLIError(error.description)
        }
        let publisher: FramePublisher
        do {
            let (busSecurity, allowRemote) = try security.forBinding(bind)
            publisher = try FramePublisher(bind: bind, topic: topic, allowRemote: allowRemote, security: busSecurity)
        } catch {
            throw CLIError(String(describing: error))
        }
        printLine("source \(input): \(source.formatName)/\(source.codecName), "
                  + (source.isPaced ? "paced at native rate" : "not paced")
                  + "; publishing \(topic) on \(publisher.endpoint)")
        if waitSubscribers > 0,
           !publisher.waitForSubscribers(waitSubscribers, timeout: waitTimeout, interrupt: MediaStop.interrupt),
           !MediaStop.interrupt.isRaised {
            printLine("no \(waitSubscribers) subscriber(s) after \(waitTimeout) s; publishing anyway")
        }
        let clock = ContinuousClock()
        let began = clock.now
        var firstError: String?
        do {
            while let frame = try source.next() { try publisher.publish(frame) }
        } catch let error as MediaError {
            firstError = error.description
        } catch {
            firstError = "cannot publish on \(publisher.endpoint): \(error)"
        }
        let duration = (clock.now - began).components
        let elapsed = Double(duration.seconds) + Double(duration.attoseconds) / 1e18
        let stats = source.stats
        let rate = elapsed > 0 ? Double(stats.emitted) / elapsed : 0
        printLine(String(format: "published %d frames in %.2f s (%.1f fps); decoded %d, resampler dropped %d, repeated %d, corrupt packets %d; %@",
                         stats.emitted, elapsed, rate, stats.decoded, stats.dropped, stats.duplicated, stats.corrupt,
                         publisher.summary))
        if let firstError { throw CLIError(firstError) }
    }

    private func printLine(_ text: String) {
        print(text)
        fflush(stdout)
    }
}
