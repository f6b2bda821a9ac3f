import VLMCore

/// The recent past of a frame stream, thinned to one frame per `sampleStride` seconds and
/// preprocessed on arrival, from which a window's `numFrames` frames are picked at segment centres.
/// Memory stays bounded: frames older than the window are evicted.
public struct RollingWindow {
    public struct Entry {
        public var stampNs: Int64
        public var seq: UInt64
        public var pixels: PixelValues
    }

    public let windowNs: Int64
    public let sampleStrideNs: Int64
    public let numFrames: Int
    public private(set) var entries: [Entry] = []

    /// - window: seconds a scored window spans; sampleStride: seconds between kept frames.
    public init(window: Double, sampleStride: Double, numFrames: Int) {
        precondition(window > 0 && window < 9e9 && sampleStride >= 0 && sampleStride < 9e9 && numFrames > 0)
        windowNs = Int64(window * 1e9)
        sampleStrideNs = Int64(sampleStride * 1e9)
        self.numFrames = numFrames
    }

    /// Whether a frame stamped `stampNs` would be kept (saves preprocessing the ones that would not).
    public func wants(stampNs: Int64) -> Bool {
        guard let last = entries.last else { return true }
        if stampNs < last.stampNs { return true }  // the source restarted (a looped file): start over
        return Self.distance(stampNs, last.stampNs) >= UInt64(sampleStrideNs)
    }

    /// Adds a kept frame and evicts what no window ending at it can use.
    public mutating func append(_ entry: Entry) {
        if let last = entries.last, entry.stampNs < last.stampNs { entries.removeAll() }
        entries.append(entry)
        let oldest = entry.stampNs.subtractingReportingOverflow(windowNs).overflow ? Int64.min : entry.stampNs - windowNs
        // Keep one frame at or before the window's start so a segment centre near it has a neighbour.
        while entries.count > 1, entries[1].stampNs <= oldest { entries.removeFirst() }
    }

    /// True once the kept frames span the whole window.
    public var isFull: Bool {
        guard let first = entries.first, let last = entries.last else { return false }
        return Self.distance(last.stampNs, first.stampNs) >= UInt64(max(windowNs - sampleStrideNs / 2 - 1, 0))
    }

    /// The `numFrames` entries nearest the segment centres of the window ending at the newest frame.
    public func sample() -> [Entry] {
        guard let last = entries.last else { return [] }
        // Saturating: stamps near Int64.min (from the wire or a file) must not trap.
        let start = last.stampNs.subtractingReportingOverflow(windowNs).overflow ? Int64.min : last.stampNs - windowNs
        let segment = Double(windowNs) / Double(numFrames)
        return (0 ..< numFrames).map { i in
            let offset = Int64((Double(i) + 0.5) * segment)
            let centre = start.addingReportingOverflow(offset).overflow ? Int64.max : start + offset
            return entries.min { Self.distance($0.stampNs, centre) < Self.distance($1.stampNs, centre) }!
        }
    }

    /// |a - b| without overflow: stamps come from the wire or a file.
    static func distance(_ a: Int64, _ b: Int64) -> UInt64 {
        a >= b ? UInt64(bitPattern: a &- b) : UInt64(bitPattern: b &- a)
    }
}
