import Foundation
import VLMCore

/// The `precision` param every model node declares (docs/precision.md): fp32 (default, exact parity
/// with transformers), bf16 or int8 for the image towers' linear layers. One declaration and one
/// way to read and apply it, for the built-in plugins and any other model node.
public enum NodePrecision {
    /// The param, as a node type declares it.
    public static let param = ParamSpec(
        "precision", .string, default: .string(Precision.fp32.rawValue),
        doc: "image-tower linear layers: fp32 (exact), bf16 or int8 (docs/precision.md)")

    /// The node's precision from its wiring (`fp32` when absent); a bad value names the accepted ones.
    public static func resolve(_ wiring: NodeWiring) throws -> Precision {
        guard let text = try wiring.string(param.name) else { return .fp32 }
        do { return try Precision.parse(text) } catch { throw NodeWiringError("param precision: \(error)") }
    }

    /// Switches `models` to `precision` and says on stderr which kernel runs (nothing for fp32).
    public static func apply(_ precision: Precision, to models: [PrecisionSelectable]) {
        guard precision != .fp32 else { return }
        for model in models { model.setPrecision(precision) }
        FileHandle.standardError.write(Data("vlmnode: note: image tower in \(precision.kernelDescription)\n".utf8))
    }
}
