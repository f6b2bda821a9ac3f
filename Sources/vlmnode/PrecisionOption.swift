import ArgumentParser
import Foundation
import VLMCore

extension Precision: ExpressibleByArgument {}

/// `Precision` for files of this module that do not import VLMCore (the node commands).
typealias ModelPrecision = Precision

/// `--precision` on the model commands and benches (applied with `NodePrecision.apply`, as nodes do).
enum PrecisionCLI {
    static let help = ArgumentHelp(
        "Image-tower linear layers in fp32 (default, exact parity), bf16 or int8; see docs/precision.md.")
}
