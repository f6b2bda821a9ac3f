import Foundation
import Testing
import TestSupport

/// `--precision` as a user meets it: the same answer shape in int8/bf16, close to fp32; fp32 the
/// default and unchanged; a bad value is one stderr line and a non-zero exit.
struct PrecisionCLITests {
    static let model = Fixtures.url("models/clip-tiny-new").path
    static let image = Fixtures.url("images/clip-32x32.png").path

    static func probs(_ extra: [String]) throws -> (probs: [Double], stderr: String) {
        let r = try VLMNodeBinary.run(["classify", "--json", "--model", model, image, "a cat", "a dog", "a car"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return (try #require(json["probs"] as? [Double]), r.stderr)
    }

    @Test func classifyInReducedPrecisionStaysCloseToFP32() throws {
        let fp32 = try Self.probs([]), explicit = try Self.probs(["--precision", "fp32"])
        #expect(fp32.probs == explicit.probs, "fp32 is the default")
        #expect(!fp32.stderr.contains("image tower in"), "fp32 prints no precision note")
        for p in ["int8", "bf16"] {
            let reduced = try Self.probs(["--precision", p])
            #expect(reduced.stderr.contains("image tower in \(p)") || reduced.stderr.contains("runs fp32"), "\(reduced.stderr)")
            for (a, b) in zip(fp32.probs, reduced.probs) { #expect(abs(a - b) < 0.04, "\(p): \(reduced.probs) vs \(fp32.probs)") }
        }
    }

    @Test(arguments: [["classify", "--model", "M", "IMG", "a"], ["segment", "IMG", "a", "--model", "S"], ["node", "detect", "--input", "tcp://127.0.0.1:1", "--queries", "cup"]])
    func badPrecisionIsOneLine(args: [String]) throws {
        let resolved = args.map { $0 == "M" ? Self.model : $0 == "IMG" ? Self.image : $0 == "S" ? Fixtures.url("models/clipseg-tiny").path : $0 }
        let r = try VLMNodeBinary.run(resolved + ["--precision", "fp16"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("fp16") && r.stderr.contains("int8"), "\(r.stderr)")
    }
}
