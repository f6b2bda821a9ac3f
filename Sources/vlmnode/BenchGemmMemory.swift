import Foundation
import VLMCore

extension BenchGemmCommand {
    /// RSS of a real (memory-mapped) CLIP checkpoint after forwards with BLAS, then packed weights.
    func memory(_ folder: String) throws {
        func rss() -> String {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
            return status.split(separator: "\n")
                .filter { $0.hasPrefix("VmRSS:") || $0.hasPrefix("RssAnon:") || $0.hasPrefix("RssFile:") || $0.hasPrefix("VmHWM:") }
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2).joined(separator: " ") + " kB" }
                .joined(separator: ", ")
        }
        print("memory with \(folder): before loading: \(rss())")
        let model = try CLIPModel(folder: URL(fileURLWithPath: folder))
        let pixels = Tensor(zeros: [1, 3, 224, 224])
        let ids = [[49406, 320, 1125, 49407], [49406, 320, 2368, 49407]]
        let saved = PackedGEMM.mode
        defer { PackedGEMM.mode = saved }
        PackedGEMM.mode = .blas
        var t = Bench.now()
        _ = try model(pixels: pixels, ids: ids)
        print("after a BLAS forward (\(Bench.ms(Bench.now() - t))): \(rss())")
        PackedGEMM.mode = .packed
        t = Bench.now()
        _ = try model(pixels: pixels, ids: ids)
        print("after the first packed forward (packs every Linear weight, \(Bench.ms(Bench.now() - t))): \(rss())")
        t = Bench.now()
        _ = try model(pixels: pixels, ids: ids)
        print("after a second packed forward (\(Bench.ms(Bench.now() - t))): \(rss())")
    }
}
