import ArgumentParser
import Foundation
import VLMCore

extension Precision: ExpressibleByArgument {}

/// `Precision` for files of this module that do not import VLMCore (the node commands).
typealias ModelPrecision = Precision

/// `--precision` on the model commands and benches.
enum PrecisionCLI {
    static let help = ArgumentHelp(
        "Image-tower linear layers in fp32 (default, exact parity), bf16 or int8; see docs/precision.md.")

    /// A node's precision: the option, else the launch param (`precision`), else fp32; a bad param
    /// value is one error line naming the accepted values.
    static func resolve(_ option: Precision?, _ param: String?) throws -> Precision {
        do { return try option ?? param.map(Precision.parse) ?? .fp32 } catch { throw CLIError("param precision: \(error)") }
    }

    /// Switches `models` to `precision` and says on stderr which kernel runs (nothing for fp32).
    static func apply(_ precision: Precision, to models: [PrecisionSelectable]) {
        guard precision != .fp32 else { return }
        for model in models { model.setPrecision(precision) }
        FileHandle.standardError.write(Data("vlmnode: note: image tower in \(precision.kernelDescription)\n".utf8))
    }
}
