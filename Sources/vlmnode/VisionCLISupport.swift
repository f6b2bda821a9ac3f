import Foundation
import VLMCore
import VLMMedia

/// Image files and model folders for the model commands (segment, ground).
enum VisionCLI {
    /// Decodes an image file into an `RGBImage`; errors name the file.
    static func loadImage(_ path: String) throws -> RGBImage {
        do {
            let decoded = try ImageIO.loadImage(path)
            return RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.rgb)
        } catch {
            // VLMMedia's errors already name the file and the operation.
            throw CLIError("\(error)")
        }
    }

    /// Writes packed rgb24 bytes as PNG/JPEG (by extension); errors name the file.
    static func writeImage(_ rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        do {
            try rgb.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: width, height: height, to: path) }
        } catch {
            throw CLIError("cannot write \(path): \(error)")
        }
    }

    /// A probability plane in [0, 1] as a grey image (0 -> black, 1 -> white).
    static func writeMask(_ probabilities: [Float], width: Int, height: Int, to path: String) throws {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for (i, p) in probabilities.enumerated() {
            let v = UInt8(max(0, min(255, (p * 255).rounded())))
            rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v
        }
        try writeImage(rgb, width: width, height: height, to: path)
    }

    /// A `--model` value (local folder or hub id, downloaded when missing) -> its folder.
    static func resolveModel(_ model: String, role: String) throws -> URL {
        do {
            return try ModelStore().resolve(model).folder
        } catch {
            throw CLIError("\(role) model \(model): \(error)")
        }
    }

    /// Floats as compact JSON numbers (shortest round-trip form; non-finite values as null).
    static func json(_ values: [Float]) -> String {
        "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
    }

    /// A string as a JSON string literal.
    static func json(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
