import Detection
import VLMCore

/// Grounds a parsed command in one image: every phrase of the intent (the object, the destination's
/// reference object) is looked for by a detector (boxes, one image pass for all phrases) and a
/// segmenter (one mask per phrase), fused by `TargetSelection`. A phrase with no candidate at or
/// above the threshold yields a `found: false` target that says so, never a guessed box.

/// Boxes for several phrases in one image pass.
public protocol PhraseDetector: AnyObject {
    /// Candidates per phrase, in the order of `phrases`; boxes in pixels of `image`. Scores are the
    /// detector's per-phrase confidences in [0, 1]; low ones are kept (the pipeline thresholds).
    func candidates(_ image: RGBImage, phrases: [String]) throws -> [[Candidate]]
}

/// Probability masks for several phrases.
public protocol PhraseSegmenter: AnyObject {
    /// One mask per phrase, in the order of `phrases`, each describing the whole image.
    func masks(_ image: RGBImage, phrases: [String]) throws -> [ProbabilityMask]
}

/// Knobs of the pipeline.
public struct GroundingOptions: Sendable, Equatable {
    /// Minimum detection score for a candidate.
    public var threshold: Float
    public init(threshold: Float = 0.1) { self.threshold = threshold }
}

/// Which part of the command a target answers.
public enum TargetRole: String, Codable, Sendable { case object, destination }

/// A chosen box with its act point and scores (also the shape of a runner-up).
public struct GroundedBox: Equatable, Sendable {
    public var box: Box
    public var point: (x: Float, y: Float)
    /// Fused score (detection x mask), what ranked the candidates.
    public var score: Float
    public var detectionScore: Float
    public var maskScore: Float?

    init(_ t: Target) {
        (box, point, score, detectionScore, maskScore) = (t.box, t.point, t.score, t.detectionScore, t.maskScore)
    }

    /// A region of the image ("to the left"): its box and centre, no scores from a model.
    init(region box: Box) {
        (self.box, point, score, detectionScore, maskScore) = (box, box.center, 1, 1, nil)
    }

    public static func == (a: GroundedBox, b: GroundedBox) -> Bool {
        a.box == b.box && a.point == b.point && a.score == b.score && a.detectionScore == b.detectionScore && a.maskScore == b.maskScore
    }
}

/// The answer for one phrase of the command.
public struct GroundedTarget: Equatable, Sendable {
    public var role: TargetRole
    /// What was looked for (the phrase's query), nil for an image region.
    public var phrase: String?
    public var qualifier: SpatialQualifier?
    /// For destinations: how the object relates to this target ("in", "left_of", …).
    public var relation: Relation?
    /// For destinations that are image regions ("to the left").
    public var region: Region?
    /// The choice; nil when nothing passed the threshold.
    public var target: GroundedBox?
    public var runnerUp: GroundedBox?
    /// How many candidates passed the threshold.
    public var candidates: Int
    /// The best detection score seen for the phrase, passing or not (to tune thresholds).
    public var bestDetectionScore: Float?
    /// Why the target is missing, one line.
    public var message: String?

    public var found: Bool { target != nil }
}

/// Everything a controller needs for one command on one image.
public struct GroundingResult: Sendable {
    public var intent: CommandIntent
    public var targets: [GroundedTarget]
    public var imageWidth: Int, imageHeight: Int
    public var threshold: Float

    /// True when every target was found.
    public var complete: Bool { targets.allSatisfy(\.found) }
}

/// The detector + segmenter + fusion pipeline.
public final class GroundingPipeline {
    public let detector: PhraseDetector
    public let segmenter: PhraseSegmenter?
    public var options: GroundingOptions

    public init(detector: PhraseDetector, segmenter: PhraseSegmenter?, options: GroundingOptions = .init()) {
        self.detector = detector
        self.segmenter = segmenter
        self.options = options
    }

    /// Grounds every phrase of `intent` in `image`.
    public func ground(_ intent: CommandIntent, in image: RGBImage) throws -> GroundingResult {
        var roles: [(role: TargetRole, phrase: ObjectPhrase?, destination: Destination?)] = [(.object, intent.object, nil)]
        if let d = intent.destination { roles.append((.destination, d.phrase, d)) }
        // Each distinct query once: one detector pass, one segmenter batch.
        var queries: [String] = []
        for r in roles { if let q = r.phrase?.query, !queries.contains(q) { queries.append(q) } }
        let boxes = queries.isEmpty ? [] : try detector.candidates(image, phrases: queries)
        let masks = (queries.isEmpty || segmenter == nil) ? nil : try segmenter!.masks(image, phrases: queries)
        guard boxes.count == queries.count, masks == nil || masks!.count == queries.count else {
            throw InputError("the detector or segmenter returned results for \(boxes.count) / \(masks?.count ?? 0) of \(queries.count) phrases")
        }
        let w = image.width, h = image.height
        var objectBox: Box?
        let targets = roles.map { r -> GroundedTarget in
            var t = GroundedTarget(role: r.role, phrase: r.phrase?.query, qualifier: r.phrase?.qualifier,
                                   relation: r.destination?.relation, region: r.destination?.region, candidates: 0)
            guard let phrase = r.phrase else {
                // A region destination ("to the left"): the region itself is the target.
                if let region = r.destination?.region { t.target = GroundedBox(region: Self.box(of: region, width: w, height: h)) }
                return t
            }
            let i = queries.firstIndex(of: phrase.query)!
            var candidates = boxes[i]
            // The destination is another object than the one being moved: drop boxes that are the
            // object's own box (same query, or a detector that fires on both phrases).
            if r.role == .destination, let o = objectBox {
                candidates.removeAll { DetectionPostProcess.intersectionOverUnion($0.box.array, o.array) > Self.sameObjectIoU }
            }
            t.bestDetectionScore = candidates.map(\.score).max()
            t.candidates = candidates.filter { $0.score >= options.threshold }.count
            if let choice = TargetSelection.select(candidates, mask: masks?[i], qualifier: phrase.qualifier,
                                                   imageWidth: w, imageHeight: h, threshold: options.threshold) {
                t.target = GroundedBox(choice.best)
                if r.role == .object { objectBox = choice.best.box }
                t.runnerUp = choice.runnerUp.map(GroundedBox.init)
            } else {
                t.message = Self.notFound(phrase, passing: t.candidates, best: t.bestDetectionScore, threshold: options.threshold)
            }
            return t
        }
        return GroundingResult(intent: intent, targets: targets, imageWidth: w, imageHeight: h, threshold: options.threshold)
    }

    /// IoU above which a destination candidate counts as the object itself.
    static let sameObjectIoU: Float = 0.7

    static func notFound(_ phrase: ObjectPhrase, passing: Int, best: Float?, threshold: Float) -> String {
        if passing > 0, let q = phrase.qualifier {
            return "\"\(phrase.query)\": \(passing) candidate(s) above the threshold, too few for \"\(q.name)\""
        }
        let bestText = best.map { String(format: " (best score %.3f)", $0) } ?? ""
        return "\"\(phrase.query)\" not found: no candidate at or above the threshold \(threshold)\(bestText)"
    }

    /// The box of an image region: a half of the image, or its central quarter.
    static func box(of region: Region, width: Int, height: Int) -> Box {
        let w = Float(width), h = Float(height)
        switch region {
        case .left: return Box(0, 0, w / 2, h)
        case .right: return Box(w / 2, 0, w, h)
        case .top: return Box(0, 0, w, h / 2)
        case .bottom: return Box(0, h / 2, w, h)
        case .center: return Box(w / 4, h / 4, 3 * w / 4, 3 * h / 4)
        }
    }
}
