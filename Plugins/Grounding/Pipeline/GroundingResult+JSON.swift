import Foundation

/// JSON of a grounding result (docs/grounding.md): what `vlmnode ground --json` prints and the
/// grounding node publishes. Boxes are [x0, y0, x1, y1] and points [x, y] in image pixels.
extension GroundingResult {
    /// The result as a JSON-ready dictionary (JSONSerialization types).
    public var jsonObject: [String: Any] {
        let intentObject = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(intent))) ?? [:]
        return [
            "command": intent.command,
            "action": intent.action.rawValue,
            "intent": intentObject,
            "image_size": [imageWidth, imageHeight],
            "threshold": Double(threshold),
            "targets": targets.map(\.jsonObject),
        ]
    }

    /// One line of compact JSON, keys sorted.
    public func jsonString() -> String {
        let data = (try? JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension GroundedTarget {
    public var jsonObject: [String: Any] {
        var o: [String: Any] = [
            "role": role.rawValue,
            "phrase": phrase ?? NSNull(),
            "found": found,
            "candidates": candidates,
            "box": target.map { rounded($0.box.array) } ?? NSNull(),
            "point": target.map { rounded([$0.point.x, $0.point.y]) } ?? NSNull(),
            "score": target.map { round4($0.score) } ?? NSNull(),
            "runner_up": runnerUp.map(\.jsonObject) ?? NSNull(),
        ]
        if let t = target {
            o["detection_score"] = round4(t.detectionScore)
            o["mask_score"] = t.maskScore.map(round4) ?? NSNull()
        }
        if let q = qualifier { o["qualifier"] = q.name }
        if let r = relation { o["relation"] = r.rawValue }
        if let r = region { o["region"] = r.rawValue }
        if let b = bestDetectionScore { o["best_detection_score"] = round4(b) }
        if !found {
            o["status"] = "not_found"
            o["message"] = message ?? "not found"
        }
        return o
    }
}

extension GroundedBox {
    public var jsonObject: [String: Any] {
        ["box": rounded(box.array), "point": rounded([point.x, point.y]), "score": round4(score),
         "detection_score": round4(detectionScore), "mask_score": maskScore.map(round4) ?? NSNull()]
    }
}

/// Pixel coordinates to 0.1 px: enough for a robot, short in JSON.
private func rounded(_ v: [Float]) -> [Double] { v.map { (Double($0) * 10).rounded() / 10 } }
private func round4(_ v: Float) -> Double { (Double(v) * 1e4).rounded() / 1e4 }
