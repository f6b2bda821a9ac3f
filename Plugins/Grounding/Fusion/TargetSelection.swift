/// Picks one target for a phrase from detector boxes and a segmentation mask of the same phrase.
///
/// Fusion: each box's score is the geometric mean of its detection score and the mean mask
/// probability inside it, so a box must both look like the phrase (OWL-ViT) and cover pixels the
/// segmenter assigns to it (CLIPSeg). A spatial qualifier then chooses among the candidates that pass
/// the threshold; without one the highest fused score wins. The runner-up is returned so a
/// controller can judge ambiguity. The pick/place point is the mask's centroid inside the box.

/// An axis-aligned box in image pixels, x to the right, y down.
public struct Box: Equatable, Sendable, Codable {
    public var x0: Float, y0: Float, x1: Float, y1: Float
    public init(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) { (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1) }
    public var center: (x: Float, y: Float) { ((x0 + x1) / 2, (y0 + y1) / 2) }
    public var area: Float { max(0, x1 - x0) * max(0, y1 - y0) }
    public var array: [Float] { [x0, y0, x1, y1] }
}

/// A probability mask over the image (values in [0, 1]), any resolution: boxes are mapped onto it.
public struct ProbabilityMask: Sendable {
    public let width: Int, height: Int
    public let values: [Float]
    /// The size of the image the boxes are expressed in.
    public let imageWidth: Int, imageHeight: Int

    public init(width: Int, height: Int, values: [Float], imageWidth: Int, imageHeight: Int) {
        precondition(values.count == width * height, "mask has \(values.count) values for \(width)x\(height)")
        (self.width, self.height, self.values, self.imageWidth, self.imageHeight) = (width, height, values, imageWidth, imageHeight)
    }

    /// Mean probability inside `box` and the probability-weighted centroid (image pixels) there.
    func statistics(in box: Box) -> (mean: Float, centroid: (x: Float, y: Float)?) {
        let sx = Float(width) / Float(imageWidth), sy = Float(height) / Float(imageHeight)
        let c0 = max(0, min(width - 1, Int((box.x0 * sx).rounded(.down))))
        let c1 = max(c0, min(width - 1, Int((box.x1 * sx).rounded(.up)) - 1))
        let r0 = max(0, min(height - 1, Int((box.y0 * sy).rounded(.down))))
        let r1 = max(r0, min(height - 1, Int((box.y1 * sy).rounded(.up)) - 1))
        var sum: Float = 0, mx: Float = 0, my: Float = 0
        for r in r0...r1 {
            for c in c0...c1 {
                let p = values[r * width + c]
                sum += p
                mx += p * (Float(c) + 0.5)
                my += p * (Float(r) + 0.5)
            }
        }
        let n = Float((r1 - r0 + 1) * (c1 - c0 + 1))
        guard sum > 1e-6 else { return (0, nil) }
        return (sum / n, (mx / sum / sx, my / sum / sy))
    }
}

/// One detector box for the phrase, before fusion.
public struct Candidate: Equatable, Sendable {
    public var box: Box
    public var score: Float
    public init(box: Box, score: Float) { (self.box, self.score) = (box, score) }
}

/// A chosen target: the box, the point to act at, and the scores behind the choice.
public struct Target: Equatable, Sendable {
    public var box: Box
    /// Mask centroid inside the box (box centre when the mask is empty there).
    public var point: (x: Float, y: Float)
    public var detectionScore: Float
    /// Mean mask probability inside the box (nil without a mask).
    public var maskScore: Float?
    /// What ranked the candidates: the fused score.
    public var score: Float

    public static func == (a: Target, b: Target) -> Bool {
        a.box == b.box && a.point == b.point && a.detectionScore == b.detectionScore && a.maskScore == b.maskScore && a.score == b.score
    }
}

public enum TargetSelection {
    /// The best target and the runner-up among `candidates` whose detection score is at least
    /// `threshold`; nil when none passes (the phrase was not found, never a random box).
    public static func select(_ candidates: [Candidate], mask: ProbabilityMask?, qualifier: SpatialQualifier?,
                              imageWidth: Int, imageHeight: Int, threshold: Float) -> (best: Target, runnerUp: Target?)? {
        let targets: [Target] = candidates.filter { $0.score >= threshold }.map { candidate in
            let stats = mask?.statistics(in: candidate.box)
            let point = stats?.centroid ?? candidate.box.center
            let fused = stats.map { (candidate.score * $0.mean).squareRoot() } ?? candidate.score
            return Target(box: candidate.box, point: point, detectionScore: candidate.score,
                          maskScore: stats?.mean, score: fused)
        }
        guard !targets.isEmpty else { return nil }
        let ranked = rank(targets, by: qualifier, imageWidth: Float(imageWidth), imageHeight: Float(imageHeight))
        guard let best = ranked.first else { return nil }
        return (best, ranked.count > 1 ? ranked[1] : nil)
    }

    /// Orders targets best-first: by the qualifier's geometry (ties by fused score), or by fused score.
    static func rank(_ targets: [Target], by qualifier: SpatialQualifier?, imageWidth: Float, imageHeight: Float) -> [Target] {
        guard let qualifier else { return targets.sorted { $0.score > $1.score } }
        let key: (Target) -> Float
        switch qualifier {
        case .leftmost: key = { $0.box.center.x }
        case .rightmost: key = { -$0.box.center.x }
        case .topmost: key = { $0.box.center.y }
        case .bottommost: key = { -$0.box.center.y }
        case .middle:
            key = { t in
                let dx = t.box.center.x - imageWidth / 2, dy = t.box.center.y - imageHeight / 2
                return dx * dx + dy * dy
            }
        case .nearest: key = { -$0.box.y1 }
        case .farthest: key = { $0.box.y1 }
        case .largest: key = { -$0.box.area }
        case .smallest: key = { $0.box.area }
        case .ordinal(let index, let side):
            let sideKey: (Target) -> Float
            switch side {
            case .left: sideKey = { $0.box.center.x }
            case .right: sideKey = { -$0.box.center.x }
            case .top: sideKey = { $0.box.center.y }
            case .bottom: sideKey = { -$0.box.center.y }
            }
            let ordered = targets.sorted { (sideKey($0), -$0.score) < (sideKey($1), -$1.score) }
            // The n-th from the side first; the runner-up is its neighbour in that order. Fewer
            // candidates than the ordinal asks for means the target is not there.
            guard index >= 1, index <= ordered.count else { return [] }
            let i = index - 1
            return [ordered[i]] + ordered.enumerated().filter { $0.offset != i }.map(\.element)
                .sorted { abs(ordered.firstIndex(of: $0)! - i) < abs(ordered.firstIndex(of: $1)! - i) }
        }
        return targets.sorted { (key($0), -$0.score) < (key($1), -$1.score) }
    }
}
