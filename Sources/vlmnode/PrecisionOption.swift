import ArgumentParser
import Foundation
import VLMCore
import VLMNode

extension Precision: ExpressibleByArgument {}

/// `Precision` for files of this module that do not import VLMCore (the node commands).
typealias ModelPrecision = Precision

/// `--precision` on the model commands and benches.
enum PrecisionCLI {
    static let help = ArgumentHelp(
        "Image-tower linear layers in fp32 (default, exact parity), bf16 or int8; see docs/precision.md.")

    /// Switches `models` to `precision` and says on stderr which kernel runs (nothing for fp32).
    static func apply(_ precision: Precision, to models: [PrecisionSelectable]) {
        NodePrecision.apply(precision, to: models)
    }
}
