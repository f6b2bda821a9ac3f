import Foundation
import VLMCore

/// The CPU features every bench prints next to its figures (figures from different flag sets are
/// not comparable: the int8 and bf16 kernels are chosen by them).
enum CPUFeatures {
    static let relevant = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16"]

    /// The relevant flags /proc/cpuinfo reports, e.g. "avx2 fma avx512f … avx512_bf16".
    static var flags: [String] {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let have = Set(line.split(separator: " ").map(String.init))
        return relevant.filter(have.contains)
    }

    /// Flags plus the kernels they select, for one bench header line.
    static var summary: String {
        let forced = ProcessInfo.processInfo.environment["VLMNODE_INT8_PATH"].map { ", VLMNODE_INT8_PATH=\($0) (forced)" } ?? ""
        return "flags [\(flags.joined(separator: " "))]; kernels: \(Precision.fp32.kernelDescription), \(Precision.int8.kernelDescription)\(forced), \(Precision.bf16.kernelDescription)"
    }
}
