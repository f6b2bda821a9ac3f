import Foundation

/// One publisher, N same-host subscribers: what each extra subscriber costs.
public struct BusFanoutFigures: Sendable {
    /// Per-hop latency of every delivery to every subscriber, milliseconds, sorted.
    public var latenciesMs: [Double]
    /// Publisher CPU per frame, milliseconds: the publishing thread plus the publisher's own
    /// libzmq I/O thread (which does the kernel copies of inline frames).
    public var publisherCPUMsPerFrame: Double
    public var delivered: Int
    public var expected: Int

    public func percentile(_ p: Double) -> Double {
        guard !latenciesMs.isEmpty else { return .nan }
        return latenciesMs[min(latenciesMs.count - 1, Int(Double(latenciesMs.count) * p))]
    }
}

extension BusBenchmark {
    /// `count` frames `spacingUs` apart to `subscribers` subscribers (each with its own context
    /// and I/O thread, like separate processes), inline or through shared memory.
    public func runFanout(endpoint: String, width: Int, height: Int, subscribers: Int, sharedMemory: Bool) throws -> BusFanoutFigures {
        let frame = FrameInfo(width: width, height: height, encoding: .rgb8)
        let before = Set(Self.threadIDs())
        let pubContext = try ZMQContext()
        let pub = try Publisher(bind: endpoint, qos: .queue(capacity: 64), allowRemote: false, lingerMs: 0,
                                context: pubContext, blockWhenFull: false)
        // The threads libzmq started for the publisher's context (its I/O thread and reaper).
        let pubThreads = Set(Self.threadIDs()).subtracting(before)
        let subs = try (0..<subscribers).map { _ in
            let ctx = try ZMQContext()
            return sharedMemory
                ? try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/bench"], qos: .latest, context: ctx)
                : try Subscriber(connect: [pub.endpoint], topics: ["/bench"], qos: .latest, context: ctx)
        }
        _ = pub.waitForSubscribers(subscribers, timeout: 5)
        let receivers = subs.map { sub in
            BenchReceiver {
                var latencies: [Double] = []
                while let m = sub.receive(timeout: 1) {
                    let now = BusClock.nowNs()
                    if m.header.type == "bench/End" { break }
                    if let shared = m.sharedFrame, !shared.isIntact { continue }
                    latencies.append(Double(now - m.header.stampNs) / 1e6)
                }
                return (latencies, 0)
            }
        }
        usleep(300_000)
        let template = UnsafeMutableRawPointer.allocate(byteCount: frame.byteCount, alignment: 64)
        defer { template.deallocate() }
        memset(template, 7, frame.byteCount)
        let cpuStart = Self.threadCPUNs() + Self.cpuNs(of: pubThreads)
        let sent = try sendLoop(backToBack: false) { i in
            let stamp = BusClock.nowNs()
            if sharedMemory {
                try pub.publishFrame(topic: "/bench", seq: UInt64(i), stampNs: stamp, frame: frame) {
                    memcpy($0.baseAddress!, template, frame.byteCount)
                }
            } else {
                let pixels = malloc(frame.byteCount)!
                memcpy(pixels, template, frame.byteCount)
                try pub.publishFrame(topic: "/bench", seq: UInt64(i), stampNs: stamp, frame: frame,
                                     pixels: try Blob(takingOwnershipOf: pixels, count: frame.byteCount))
            }
        }
        // Let the I/O thread finish the queued copies before reading its CPU time.
        usleep(200_000)
        let cpu = Self.threadCPUNs() + Self.cpuNs(of: pubThreads) - cpuStart
        try pub.publish(topic: "/bench", header: MessageHeader(type: "bench/End", seq: UInt64(sent.sent)))
        let latencies = receivers.flatMap { $0.join().0 }
        return BusFanoutFigures(latenciesMs: latencies.sorted(),
                                publisherCPUMsPerFrame: Double(cpu) / 1e6 / Double(max(sent.sent, 1)),
                                delivered: latencies.count, expected: sent.sent * subscribers)
    }

    static func threadIDs() -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { Int($0) }
    }

    /// CPU time of the given threads of this process (schedstat: nanoseconds on a CPU).
    static func cpuNs(of threads: Set<Int>) -> Int64 {
        threads.reduce(0) { total, tid in
            let text = (try? String(contentsOfFile: "/proc/self/task/\(tid)/schedstat", encoding: .utf8)) ?? ""
            return total + (Int64(text.split(separator: " ").first ?? "") ?? 0)
        }
    }

    static func threadCPUNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
