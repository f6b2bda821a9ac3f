import Foundation
import Testing
import TestSupport

/// `vlmnode ground IMAGE "COMMAND"` end to end with the tiny OWL-ViT and CLIPSeg folders on a
/// generated scene (a red and a blue rectangle on grey, written as PPM here).
@Suite struct GroundPipelineCLITests {
    static let models = ["--detector", Fixtures.url("models/owlvit-tiny-new").path,
                         "--segmenter", Fixtures.url("models/clipseg-tiny").path]

    static func scene(in dir: URL) throws -> String {
        let (w, h) = (160, 120)
        var px = [UInt8](repeating: 200, count: w * h * 3)
        func rect(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: [UInt8]) {
            for y in y0 ..< y1 { for x in x0 ..< x1 { px.replaceSubrange((y * w + x) * 3 ..< (y * w + x) * 3 + 3, with: c) } }
        }
        rect(20, 60, 50, 100, [220, 30, 30])
        rect(100, 50, 150, 90, [30, 60, 220])
        let path = dir.appendingPathComponent("scene.ppm").path
        FileManager.default.createFile(atPath: path, contents: Data("P6\n\(w) \(h)\n255\n".utf8) + Data(px))
        return path
    }

    @Test func groundsACommandAndAnnotates() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try Self.scene(in: dir), annotated = dir.appendingPathComponent("annotated.png").path
        let r = try VLMNodeBinary.run(["ground", image, "pick up the red cup and put it in the blue bowl", "--json",
                                       "--annotate", annotated, "--threshold", "0"] + Self.models)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["command"] as? String == "pick up the red cup and put it in the blue bowl")
        #expect(object["action"] as? String == "pick")
        #expect((object["intent"] as? [String: Any])?["object"] is [String: Any])
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.map { $0["role"] as? String } == ["object", "destination"])
        #expect(targets.map { $0["phrase"] as? String } == ["red cup", "blue bowl"])
        for t in targets {
            #expect(t["found"] as? Bool == true)
            let box = try #require(t["box"] as? [Double]), point = try #require(t["point"] as? [Double])
            #expect(box.count == 4 && box[0] <= box[2] && box[1] <= box[3] && point.count == 2)
            #expect((0 ... 1).contains(try #require(t["score"] as? Double)))
            #expect(t["runner_up"] is [String: Any] || t["runner_up"] is NSNull)
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: annotated))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    @Test func objectAboveNoThresholdIsNotFound() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try VLMNodeBinary.run(["ground", try Self.scene(in: dir), "find the green banana", "--json", "--threshold", "1"] + Self.models)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(target["found"] as? Bool == false && target["status"] as? String == "not_found")
        #expect(target["box"] is NSNull && target["point"] is NSNull)
        #expect((target["message"] as? String)?.contains("green banana") == true)
    }

    @Test(arguments: [("", "empty command"), ("pick up", "no object"), ("please", "command:")])
    func badCommandsFailWithOneLineBeforeLoadingModels(command: String, message: String) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try VLMNodeBinary.run(["ground", try Self.scene(in: dir), command, "--detector", "/nonexistent", "--segmenter", "/nonexistent"])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message) && !r.stderr.contains("/nonexistent"))
        #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
    }

    @Test func missingImageAndModelsAreNamed() throws {
        let noImage = try VLMNodeBinary.run(["ground", "/nonexistent.png", "pick up the cup"] + Self.models)
        #expect(noImage.status != 0 && noImage.stderr.contains("/nonexistent.png"))
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let noModel = try VLMNodeBinary.run(["ground", try Self.scene(in: dir), "pick up the cup", "--detector", dir.path,
                                             "--segmenter", Fixtures.url("models/clipseg-tiny").path])
        #expect(noModel.status != 0 && noModel.stderr.contains("detector"))
    }
}
