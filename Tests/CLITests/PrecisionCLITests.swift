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

    /// `vlmnode ask --precision`: ViLT's encoder in int8/bf16 keeps the fixture's answers and their
    /// order, the logits close to fp32 (the bound is PrecisionAccuracyTests.vilt's, per logit).
    @Test func askInReducedPrecisionKeepsTheAnswers() throws {
        func ask(_ extra: [String]) throws -> (logits: [[Double]], answers: [[String]], stderr: String) {
            let r = try VLMNodeBinary.run(["ask", "--json", "--model", Fixtures.url("models/vilt-tiny-safetensors").path,
                                           Fixtures.url("images/vilt-100x60.png").path, "is the door open?", "what color is it?"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let objects = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            return (objects.map { $0["logits"] as? [Double] ?? [] },
                    objects.map { ($0["answers"] as? [[String: Any]] ?? []).map { $0["answer"] as? String ?? "" } }, r.stderr)
        }
        let fp32 = try ask([])
        #expect(fp32.logits.count == 2 && !fp32.stderr.contains("image tower in"))
        for p in ["int8", "bf16"] {
            let reduced = try ask(["--precision", p])
            #expect(reduced.stderr.contains("in \(p)") || reduced.stderr.contains("runs fp32"), "\(reduced.stderr)")
            #expect(reduced.answers.map(\.first) == fp32.answers.map(\.first), "\(p): top answers \(reduced.answers) vs \(fp32.answers)")
            let moved = zip(fp32.logits.joined(), reduced.logits.joined()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(moved < 0.05, "\(p): logits moved by \(moved)")
        }
    }

    @Test(arguments: [["classify", "--model", "M", "IMG", "a"], ["segment", "IMG", "a", "--model", "S"], ["node", "detect", "--input", "tcp://127.0.0.1:1", "--queries", "cup"],
                      ["ask", "--model", "V", "IMG", "is it red?"], ["node", "vqa", "--input", "tcp://127.0.0.1:1", "--model", "V"],
                      ["bench", "vilt"]])
    func badPrecisionIsOneLine(args: [String]) throws {
        let resolved = args.map { $0 == "M" ? Self.model : $0 == "IMG" ? Self.image : $0 == "S" ? Fixtures.url("models/clipseg-tiny").path
            : $0 == "V" ? Fixtures.url("models/vilt-tiny-safetensors").path : $0 }
        let r = try VLMNodeBinary.run(resolved + ["--precision", "fp16"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("fp16") && r.stderr.contains("int8"), "\(r.stderr)")
    }
}
