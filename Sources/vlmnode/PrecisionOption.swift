import ArgumentParser
import Foundation
import VLMCore

extension Precision: ExpressibleByArgument {}

/// `--precision` on the model commands and benches.
enum PrecisionCLI {
    static let help = ArgumentHelp(
        "Image-tower linear layers in fp32 (default, exact parity), bf16 or int8; see docs/precision.md.")

    /// Switches `models` to `precision` and says on stderr which kernel runs (nothing for fp32).
    static func apply(_ precision: Precision, to models: [PrecisionSelectable]) {
        guard precision != .fp32 else { return }
        for model in models { model.setPrecision(precision) }
        FileHandle.standardError.write(Data("vlmnode: note: image tower in \(precision.kernelDescription)\n".utf8))
    }
}
