import Testing
@testable import VideoText

@Test func exactlyNumFramesUsesEveryFrameInOrder() {
    #expect(WindowPlan.segmentCentres(start: 0, end: 8, numFrames: 8) == Array(0..<8))
}

@Test func segmentCentresOfALongerWindow() {
    // 32 frames, 8 segments of 4: centres at 2, 6, 10, …
    #expect(WindowPlan.segmentCentres(start: 0, end: 32, numFrames: 8) == [2, 6, 10, 14, 18, 22, 26, 30])
    #expect(WindowPlan.segmentCentres(start: 10, end: 20, numFrames: 4) == [11, 13, 16, 18])
}

@Test func aShortClipRepeatsFrames() {
    #expect(WindowPlan.segmentCentres(start: 0, end: 3, numFrames: 6) == [0, 0, 1, 1, 2, 2])
}

@Test func aShortClipIsOneWholeWindow() {
    let w = WindowPlan.windows(frameCount: 45, fps: 30, window: 2, stride: 1, numFrames: 8)
    #expect(w.count == 1)
    #expect(w[0].start == 0 && w[0].end == 45 && w[0].startSeconds == 0 && abs(w[0].endSeconds - 1.5) < 1e-9)
}

@Test func slidingWindowsCoverTheClipInSourceSeconds() {
    // 5.5 s at 30 fps, 2 s windows every 1 s: starts 0,1,2,3, then one aligned to the end (3.5 s).
    let w = WindowPlan.windows(frameCount: 165, fps: 30, window: 2, stride: 1, numFrames: 8)
    #expect(w.map(\.startSeconds) == [0, 1, 2, 3, 3.5])
    #expect(w.allSatisfy { $0.end - $0.start == 60 && $0.sampled.count == 8 })
    #expect(w.last!.end == 165 && abs(w.last!.endSeconds - 5.5) < 1e-9)
    let covered = Set(w.flatMap { Array($0.start..<$0.end) })
    #expect(covered.count == 165)
}

@Test func frameTimesComeFromTheSource() {
    let times = (0..<100).map { 10.0 + Double($0) * 0.04 }   // a stream that starts at 10 s, 25 fps
    let w = WindowPlan.windows(frameCount: 100, fps: 25, window: 2, stride: 2, numFrames: 4, frameTimes: times)
    #expect(w.first!.startSeconds == 10.0)
    #expect(abs(w[1].startSeconds - 12.0) < 1e-9)
}

@Test func hysteresisMakesOneJumpOneEvent() {
    var detector = EventDetector(prompts: 2, threshold: 0.6, hysteresis: 0.1)
    let scores: [[Float]] = [[0.2, 0.1], [0.65, 0.1], [0.55, 0.7], [0.62, 0.9], [0.49, 0.3], [0.7, 0.3]]
    let events = scores.flatMap { detector.update($0) }
    #expect(events.map { "\($0.prompt)\($0.edge.rawValue)" } == ["0start", "1start", "0end", "1end", "0start"])
}
