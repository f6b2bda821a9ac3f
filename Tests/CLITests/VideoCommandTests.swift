import Foundation
import Testing
import TestSupport

/// `vlmnode video` end to end: the tiny X-CLIP checkpoint on the committed lossless clip and on
/// clips FFmpeg generates at test time.
@Suite struct VideoCommandTests {
    static let model = Fixtures.url("models/xclip-tiny-bin").path
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/xclip-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()

    static func ffmpeg(_ args: [String]) throws {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + args)
        try #require(result.status == 0, "ffmpeg failed: \(result.stderr)")
    }

    static func referenceData(_ key: String) -> [Double] {
        (((reference["outputs"] as? [String: Any])?[key] as? [String: Any])?["data"] as? [Double]) ?? []
    }

    static func runJSON(_ args: [String], model: String = model) throws -> (object: [String: Any], stderr: String) {
        let result = try VLMNodeBinary.run(["video", "--model", model, "--json"] + args)
        try #require(result.status == 0, "vlmnode video failed: \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (object, result.stderr)
    }

    /// A clip of exactly num_frames frames at the model's size reproduces transformers' clip scores
    /// (decoding, preprocessing from the folder's processor config, tokenizer, model).
    /// Both checkpoint folders: pytorch_model.bin with preprocessor_config.json (VideoMAE feature
    /// extractor) and model.safetensors with a transformers 5 processor_config.json.
    @Test(arguments: ["xclip-tiny-bin", "xclip-tiny-safetensors"])
    func fixtureClipReproducesTransformers(folder: String) throws {
        let inputs = try #require(Self.reference["inputs"] as? [String: Any])
        let prompts = try #require(inputs["prompts"] as? [String])
        let (object, _) = try Self.runJSON([Fixtures.url("video/xclip-tiny.mkv").path] + prompts,
                                           model: Fixtures.url("models/\(folder)").path)
        #expect(object["prompts"] as? [String] == prompts)
        let clip = try #require(object["clip"] as? [String: Any])
        let logits = try #require(clip["logits"] as? [Double]), probs = try #require(clip["probs"] as? [Double])
        let refLogits = Self.referenceData("logits_per_video"), refProbs = Self.referenceData("probs")
        #expect(logits.count == refLogits.count && probs.count == refProbs.count)
        for (a, b) in zip(logits, refLogits) { #expect(abs(a - b) < 1e-3) }
        for (a, b) in zip(probs, refProbs) { #expect(abs(a - b) < 1e-4) }
        #expect(clip["frames"] as? [Int] == [0, 1, 2, 3])
        let windows = try #require(object["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
    }

    /// A moving square over a background, 5 s at 10 fps: windows of 2 s every 1 s cover the clip in
    /// source seconds, each window's frames lie inside it, the whole-clip score is separate.
    @Test func generatedClipTimelineIsConsistent() throws {
        let dir = try makeTemporaryDirectory("xclip-video")
        let clip = dir.appendingPathComponent("moving.mkv").path
        try Self.ffmpeg(["-f", "lavfi", "-i",
                         "color=c=navy:s=96x64:r=10:d=5[bg];color=c=red:s=16x16:r=10:d=5[fg];[bg][fg]overlay=x='t*15':y=20:shortest=1",
                         "-c:v", "ffv1", clip])
        let plot = dir.appendingPathComponent("timeline.png").path
        let (object, _) = try Self.runJSON([clip, "a red square moving", "a blue background", "--plot", plot])
        #expect(object["frame_count"] as? Int == 50)
        #expect(abs((object["duration_s"] as? Double ?? 0) - 5) < 1e-6)
        let windows = try #require(object["windows"] as? [[String: Any]])
        let spans = windows.map { ($0["start_s"] as? Double ?? -1, $0["end_s"] as? Double ?? -1) }
        #expect(spans.map(\.0) == [0, 1, 2, 3] && spans.map(\.1) == [2, 3, 4, 5])
        for w in windows {
            let (s, e) = (w["start_s"] as? Double ?? -1, w["end_s"] as? Double ?? -1)
            let frames = w["frames"] as? [Int] ?? []
            #expect(frames.count == 4 && frames == frames.sorted())
            #expect(frames.allSatisfy { Double($0) / 10 >= s && Double($0) / 10 < e })
            let probs = w["probs"] as? [Double] ?? []
            #expect(probs.count == 2 && abs(probs.reduce(0, +) - 1) < 1e-5)
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: plot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        // One prompt: logits per window and the best window is the one with the highest logit.
        let (single, _) = try Self.runJSON([clip, "a red square moving", "--window", "1.5", "--stride", "0.5"])
        let sw = try #require(single["windows"] as? [[String: Any]])
        #expect(sw.count == 8)
        #expect((sw.last?["end_s"] as? Double).map { abs($0 - 5) < 1e-6 } == true)
        let logits = sw.map { ($0["logits"] as? [Double])?.first ?? -.infinity }
        #expect(single["best_window"] as? Int == logits.indices.max { logits[$0] < logits[$1] })

        let human = try VLMNodeBinary.run(["video", "--model", Self.model, clip, "a red square moving"])
        #expect(human.status == 0)
        #expect(human.stdout.contains("best window:") && human.stdout.contains("timeline"))
    }

    @Test func shortClipRepeatsFramesWithANote() throws {
        let dir = try makeTemporaryDirectory("xclip-video")
        let clip = dir.appendingPathComponent("short.mkv").path
        try Self.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.2", "-c:v", "ffv1", clip])
        let (object, stderr) = try Self.runJSON([clip, "a", "b"])
        #expect(stderr.contains("fewer than the model's 4: frames are repeated"))
        #expect((object["clip"] as? [String: Any])?["frames"] as? [Int] == [0, 0, 1, 1])
    }

    @Test func noVideoStreamAndEmptyPromptAreOneLineErrors() throws {
        let dir = try makeTemporaryDirectory("xclip-video")
        let audio = dir.appendingPathComponent("tone.wav").path
        try Self.ffmpeg(["-f", "lavfi", "-i", "sine=d=0.5", audio])
        let noVideo = try VLMNodeBinary.run(["video", "--model", Self.model, audio, "a person"])
        #expect(noVideo.status != 0)
        #expect(noVideo.stderr.contains("no video stream"))
        #expect(noVideo.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        let clip = Fixtures.url("video/xclip-tiny.mkv").path
        let empty = try VLMNodeBinary.run(["video", "--model", Self.model, clip, "a person", "  "])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("prompt 2 is empty"))
        let none = try VLMNodeBinary.run(["video", "--model", Self.model, clip])
        #expect(none.status != 0)
        #expect(none.stderr.contains("no prompts given"))
    }
}
