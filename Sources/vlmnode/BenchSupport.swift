import CBLAS
import Foundation
import VLMCore

/// Shared pieces of the `vlmnode bench` subcommands: timing, sgemm peak, profile table, load average.
enum Bench {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// Median wall time of `runs` calls after one warm-up.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var ts: [Double] = []
        for _ in 0 ..< max(runs, 1) {
            let t = now()
            try body()
            ts.append(now() - t)
        }
        return ts.sorted()[ts.count / 2]
    }

    /// Best GFLOP/s of a row-major `m x k · (n x k)ᵀ` sgemm (a Linear layer's call) over ~`seconds`.
    static func sgemmGFLOPs(m: Int, k: Int, n: Int, seconds: Double = 0.3) -> Double {
        let a = Tensor(zeros: [m, k]), b = Tensor(zeros: [n, k]), c = Tensor(zeros: [m, n])
        for i in 0 ..< a.count { a.pointer[i] = Float(i % 7) * 0.01 }
        for i in 0 ..< b.count { b.pointer[i] = Float(i % 5) * 0.01 }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        var best = 0.0
        let start = now()
        repeat {
            let t = now()
            BLAS.sgemm(transB: true, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: k, c: c.pointer, ldc: n)
            best = max(best, flops / (now() - t) * 1e-9)
        } while now() - start < seconds
        withExtendedLifetime((a, b, c)) {}
        return best
    }

    /// User + system CPU seconds of this process so far (all threads).
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "unknown"
    }

    static func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1e3) }

    /// Prints the profile collected by `Profiler` over `seconds` of model time.
    static func printProfile(total seconds: Double) {
        var accounted = 0.0
        for (kind, s) in Profiler.seconds.sorted(by: { $0.1 > $1.1 }) where s > 0 {
            accounted += s
            print(String(format: "  %-34@ %8.2f ms  %5.1f%%", kind.rawValue as NSString, s * 1e3, 100 * s / seconds))
        }
        let rest = max(seconds - accounted, 0)
        print(String(format: "  %-34@ %8.2f ms  %5.1f%%", "unaccounted (glue, allocation)" as NSString, rest * 1e3, 100 * rest / seconds))
    }
}

extension Bench {
    /// Elementwise kernel throughput on one core, ns per element (median of repeated calls).
    static func printKernelThroughput() {
        let x = Tensor(zeros: [50, 3072]), w = Tensor(zeros: [768]), b = Tensor(zeros: [768]), bias = Tensor(zeros: [3072])
        for i in 0 ..< x.count { x.pointer[i] = Float(i % 97) * 0.01 - 0.5 }
        w.fill(1)
        let rows = x.reshaped([200, 768])
        func ns(_ n: Int, _ body: () -> Void) -> Double { median(runs: 50) { body() } / Double(n) * 1e9 }
        let gelu = ns(x.count) { Ops.addBiasActivate(x, bias: bias, .quickGELU); Ops.affine(x, scale: 0, shift: 0.3) }
        let erfGelu = ns(x.count) { Ops.addBiasActivate(x, bias: bias, .gelu); Ops.affine(x, scale: 0, shift: 0.3) }
        let ln = ns(rows.count) { Ops.layerNorm(rows, weight: w, bias: b, eps: 1e-5, into: rows) }
        let sm = ns(x.count) { Ops.softmax(x.reshaped([3072, 50])) }
        print(String(format: "kernels, ns/element: bias+quick_gelu(+reset) %.2f, bias+gelu(+reset) %.2f, layer norm %.2f, softmax(50) %.2f",
                     gelu, erfGelu, ln, sm))
    }
}

extension Bench {
    /// Times `body` (median of `runs`) under both GEMM threading strategies, alternated three times so
    /// background load hits them alike, and prints one line "threading A/B, LABEL: openblas …, split …".
    static func threadingAB(_ label: String, runs: Int, _ body: () throws -> Void) rethrows {
        let chosen = BLAS.threading, modes = [BLAS.Threading.openblas, .splitColumns]
        var times: [BLAS.Threading: [Double]] = [:]
        defer { BLAS.threading = chosen }
        for _ in 0 ..< 3 {
            for mode in modes {
                BLAS.threading = mode
                times[mode, default: []].append(try median(runs: runs, body))
            }
        }
        print("threading A/B, \(label): " + modes.map { "\($0.rawValue) \(ms(times[$0]!.sorted()[1]))" }.joined(separator: ", "))
    }

    /// cblas_sgemm GFLOP/s on each M x K x N shape, printed as a table: the best overall and the best
    /// among the shapes the model itself runs (`isModelShape` of M).
    static func sgemmTable(_ shapes: [(Int, Int, Int)], isModelShape: (Int) -> Bool = { _ in true })
        -> (peak: Double, modelPeak: Double) {
        var peak = 0.0, modelPeak = 0.0
        print("cblas_sgemm x · Wᵀ (\(BLAS.threadCount) threads, \(BLAS.threading.rawValue)), M x K x N:")
        for (m, k, n) in shapes {
            let g = sgemmGFLOPs(m: m, k: k, n: n)
            peak = max(peak, g)
            if isModelShape(m) { modelPeak = max(modelPeak, g) }
            print(String(format: "  %4dx%4dx%4d  %6.1f GFLOP/s", m, k, n, g))
        }
        return (peak, modelPeak)
    }

    /// Runs a dev-time reference script (`PYTHON SCRIPT THREADS`, PyTorch/ONNX Runtime) and returns the
    /// JSON object it prints on its last stdout line.
    static func runReference(python: String, script: String) throws -> [String: Any] {
        try runScript(python: python, arguments: [script, String(BLAS.threadCount)])
    }

    /// Runs `PYTHON ARGUMENTS…` and returns the JSON object printed on its last stdout line.
    static func runScript(python: String, arguments: [String]) throws -> [String: Any] {
        let script = arguments.first ?? ""
        print("running \(arguments.joined(separator: " ")) with \(python) (\(BLAS.threadCount) threads)…")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CLIError("\(script) failed (exit \(p.terminationStatus))")
        }
        return json
    }
}
