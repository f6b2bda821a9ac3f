import Foundation
import VLMCore

extension Bench {
    /// One table from one run: vlmnode at fp32, bf16 and int8 (alternated twice so background load
    /// hits them alike; the better median of each), then, with `python`, PyTorch fp32, ONNX Runtime
    /// fp32 and ONNX Runtime int8 (quantize_dynamic) on the same workload from
    /// Scripts/bench/precision_reference.py --speed. `forward` runs the bench's workload once.
    static func sideBySide(kind: String, model: PrecisionSelectable, restore: Precision, runs: Int, python: String?,
                           script: String = "Scripts/bench/precision_reference.py", forward: () throws -> Void) throws {
        print("side by side, \(kind): \(BLAS.threadCount) threads; CPU \(CPUFeatures.summary); load average \(loadAverage())")
        var times: [Precision: Double] = [:], cpu: [Precision: Double] = [:]
        for _ in 0 ..< 2 {
            for p in Precision.allCases {
                model.setPrecision(p)
                try forward()  // packs the weights for p
                let c0 = cpuSeconds()
                let t = try median(runs: runs, forward)
                // CPU time per forward (all threads): what to compare when other processes load the machine.
                cpu[p] = min(cpu[p] ?? .infinity, (cpuSeconds() - c0) / Double(runs + 1))
                times[p] = min(times[p] ?? .infinity, t)
            }
        }
        model.setPrecision(restore)
        var rows: [(String, Double)] = Precision.allCases.map { ("vlmnode \($0.kernelDescription)", times[$0]!) }
        print("  vlmnode CPU time per forward (all threads): " + Precision.allCases.map { "\($0.rawValue) \(ms(cpu[$0]!))" }.joined(separator: ", ")
              + String(format: "; int8 uses %.2fx less CPU than fp32", cpu[.fp32]! / cpu[.int8]!))
        if let python {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmnode-speed-\(kind)").path
            let json = try runScript(python: python, arguments: [script, kind, "random", dir, "--speed", "--threads",
                                                                 String(BLAS.threadCount), "--runs", String(runs)])
            for (key, name) in [("torch_s", "PyTorch fp32 (eager)"), ("ort_fp32_s", "ONNX Runtime fp32"),
                                ("ort_int8_s", "ONNX Runtime int8 (quantize_dynamic)")] {
                if let s = json[key] as? Double { rows.append((name, s)) }
            }
            if let err = json["ort_error"] as? String { print("  ONNX Runtime: not measured (\(err))") }
        }
        let int8 = times[.int8]!
        for (name, s) in rows {
            print("  " + name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%9.2f ms   int8 is %.2fx faster", s * 1e3, s / int8))
        }
        print("  load average after: \(loadAverage())")
    }
}
