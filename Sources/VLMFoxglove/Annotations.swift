import Foundation
import SwiftProtobuf
import VLMBus

/// Turns results that refer to a frame (`vlm/Detections`, `vlm/Grounding`) into a
/// `foxglove.ImageAnnotations` stamped with the source frame's `stamp_ns`, so an Image panel
/// overlays it on exactly that frame.
public enum ResultAnnotations {
    /// Palette for labels (RGB 0…255): distinct, saturated, readable on camera images.
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (255, 56, 56), (50, 205, 50), (30, 144, 255), (255, 178, 29), (207, 56, 255),
        (0, 212, 187), (255, 115, 200), (146, 204, 23), (255, 149, 0), (72, 249, 255),
    ]

    /// The colour of a label: FNV-1a of its UTF-8 bytes picks a palette entry, so a label keeps
    /// its colour across query changes and between recordings, live view and the browser page
    /// (viewer.js computes the same).
    public static func colour(label: String) -> (UInt8, UInt8, UInt8) {
        var h: UInt32 = 2_166_136_261
        for b in label.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return palette[Int(h % UInt32(palette.count))]
    }

    static func color(_ rgb: (UInt8, UInt8, UInt8), alpha: Double = 1) -> Foxglove_Color {
        var c = Foxglove_Color()
        c.r = Double(rgb.0) / 255; c.g = Double(rgb.1) / 255; c.b = Double(rgb.2) / 255; c.a = alpha
        return c
    }

    static func point(_ x: Double, _ y: Double) -> Foxglove_Point2 {
        var p = Foxglove_Point2(); p.x = x; p.y = y; return p
    }

    /// Numbers of a JSON array of `count` numbers; nil otherwise.
    static func numbers(_ value: JSONValue?, count: Int) -> [Double]? {
        guard let items = value?.arrayValue, items.count == count else { return nil }
        let ds = items.compactMap(\.doubleValue)
        return ds.count == count && ds.allSatisfy(\.isFinite) ? ds : nil
    }

    /// True for types that get an annotations channel.
    public static func annotates(type: String) -> Bool { type == "vlm/Detections" || type == "vlm/Grounding" }

    /// The annotations of a result, or nil if it does not refer to a frame (no `source_stamp_ns`).
    public static func annotations(for header: MessageHeader) -> Foxglove_ImageAnnotations? {
        guard annotates(type: header.type), let stamp = header.sourceStampNs else { return nil }
        let ts = FoxgloveFrame.timestamp(ns: stamp)
        var out = Foxglove_ImageAnnotations()
        out.timestamp = ts
        func addBox(_ b: [Double], label: String, text: String, colourKey: String) {
            let rgb = colour(label: colourKey)
            var loop = Foxglove_PointsAnnotation()
            loop.timestamp = ts
            loop.type = .lineLoop
            loop.points = [point(b[0], b[1]), point(b[2], b[1]), point(b[2], b[3]), point(b[0], b[3])]
            loop.outlineColor = color(rgb)
            loop.thickness = 3
            out.points.append(loop)
            var t = Foxglove_TextAnnotation()
            t.timestamp = ts
            t.position = point(b[0], max(b[1] - 2, 0))
            t.text = text
            t.fontSize = 14
            t.textColor = color((255, 255, 255))
            t.backgroundColor = color(rgb, alpha: 0.8)
            out.texts.append(t)
        }
        if header.type == "vlm/Detections" {
            for d in header.fields["detections"]?.arrayValue ?? [] {
                guard let o = d.objectValue, let b = numbers(o["box"], count: 4) else { continue }
                let label = o["label"]?.stringValue ?? "?"
                let score = o["score"]?.doubleValue.map { String(format: " %.2f", $0) } ?? ""
                addBox(b, label: label, text: label + score, colourKey: label)
            }
        } else {
            for target in header.fields["targets"]?.arrayValue ?? [] {
                guard let o = target.objectValue else { continue }
                let role = o["role"]?.stringValue ?? "target"
                let phrase = o["phrase"]?.stringValue ?? role
                let score = o["score"]?.doubleValue.map { String(format: " %.2f", $0) } ?? ""
                if let b = numbers(o["box"], count: 4) {
                    addBox(b, label: phrase, text: "\(role): \(phrase)\(score)", colourKey: phrase)
                }
                if let p = numbers(o["point"], count: 2) {
                    // Pick (object) points filled, place (destination) points as rings.
                    var c = Foxglove_CircleAnnotation()
                    c.timestamp = ts
                    c.position = point(p[0], p[1])
                    c.diameter = 14
                    c.thickness = 3
                    let rgb: (UInt8, UInt8, UInt8) = role == "object" ? (255, 56, 56) : (30, 144, 255)
                    c.outlineColor = color(rgb)
                    c.fillColor = role == "object" ? color(rgb, alpha: 0.6) : color(rgb, alpha: 0)
                    out.circles.append(c)
                }
            }
        }
        return out
    }
}
