import Testing
@testable import VLMCore
@testable import VideoText

@Suite struct RollingWindowTests {
    func entry(_ ms: Int64, _ seq: UInt64) -> RollingWindow.Entry {
        .init(stampNs: ms * 1_000_000, seq: seq, pixels: PixelValues(height: 1, width: 1, values: [0, 0, 0]))
    }

    /// 30 fps in, 2 s window, kept every 125 ms: the window fills after 2 s, memory stays bounded,
    /// and the 8 samples sit at the segment centres of the last 2 s, in order.
    @Test func thinsFillsEvictsAndSamplesSegmentCentres() {
        var w = RollingWindow(window: 2, sampleStride: 0.125, numFrames: 8)
        var kept = 0
        for i in 0 ..< 120 {  // 4 s
            let ms = Int64(i) * 1000 / 30
            if w.wants(stampNs: ms * 1_000_000) { w.append(entry(ms, UInt64(i))); kept += 1 }
            if ms < 1900 { #expect(!w.isFull) }
        }
        #expect(w.isFull)
        #expect(kept < 40 && kept > 25)
        #expect(w.entries.count <= 18)
        let s = w.sample()
        #expect(s.count == 8 && s.map(\.seq) == s.map(\.seq).sorted())
        let newest = w.entries.last!.stampNs
        for (i, e) in s.enumerated() {
            let centre = newest - 2_000_000_000 + Int64((Double(i) + 0.5) * 250_000_000)
            #expect(abs(e.stampNs - centre) <= 100_000_000)
        }
    }

    @Test func aSourceRestartStartsOver() {
        var w = RollingWindow(window: 1, sampleStride: 0, numFrames: 4)
        for i in 0 ..< 20 { w.append(entry(Int64(i) * 100, UInt64(i))) }
        #expect(w.isFull)
        w.append(entry(0, 100))
        #expect(w.entries.count == 1 && !w.isFull)
    }
}
