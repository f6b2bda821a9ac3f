import ArgumentParser
import Foundation
import VLMCore
import VLMMedia
import VLMNode

/// `vlmnode ask INPUT QUESTION...`: visual question answering (ViLT) on an image, a video or a stream.
struct AskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer questions about an image, a video or a stream (ViLT VQA).",
        discussion: """
            INPUT is an image (png, jpg, bmp, webp, tiff) or anything `vlmnode source` reads (file, URL, \
            /dev/videoN, lavfi:…). Each QUESTION is answered with the model's labels, best first; scores are \
            sigmoid(logits) as in transformers' VQA pipeline. --json prints one object per question \
            (and per processed frame): {"question", "answers": [{"answer", "score"}], "logits": [every label, in id order]}.
            """)

    @Argument(help: "Image, video file, URL, camera or lavfi: graph.")
    var input: String

    @Argument(help: "Questions, one argument each (\"is the door open?\").")
    var questions: [String] = []

    @Option(help: "Hub model name or local folder.")
    var model = "dandelin/vilt-b32-finetuned-vqa"

    @Option(help: "Answers to show per question.")
    var topK = 5

    @Flag(help: "Print JSON, one object per question (and processed frame).")
    var json = false

    @Option(help: "For videos and streams: process every Nth frame.")
    var every = 1

    @Option(help: "For videos and streams: stop after this many frames.")
    var frames: Int?

    @Option(help: "ViLT's encoder Linear layers in fp32 (default, exact parity), bf16 or int8; see docs/precision.md.")
    var precision: Precision = .fp32

    func check() throws {
        guard !questions.isEmpty else { throw CLIError("no questions: give at least one, e.g. vlmnode ask \(input) \"is the door open?\"") }
        if let empty = questions.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw CLIError("question \(empty + 1) is empty")
        }
        guard topK >= 1 else { throw CLIError("--top-k must be at least 1") }
        guard every >= 1 else { throw CLIError("--every must be at least 1") }
    }

    func run() throws {
        try check()
        let isImage = DetectCommand.imageExtensions.contains((input as NSString).pathExtension.lowercased())
        // Read the image before loading a model: a wrong path fails at once.
        let image = try isImage ? VisionCLI.loadImage(input) : nil
        let folder = try VisionCLI.resolveModel(model, role: "VQA")
        let vqa: ViltVQA
        do { vqa = try ViltVQA(folder: folder) } catch { throw CLIError("\(error)") }
        NodePrecision.apply(precision, to: [vqa.model])
        if let image {
            do { try report(try vqa.ask(image, questions: questions, topK: topK), frame: nil) } catch let e as CLIError { throw e } catch {
                throw CLIError("\(input): \(error)")
            }
        } else {
            try askStream(vqa)
        }
    }

    private func askStream(_ vqa: ViltVQA) throws {
        let source: FrameSource
        do {
            source = try FrameSource(input: input, options: FrameSourceOptions(realtime: false, maxFrames: frames))
        } catch {
            throw CLIError("cannot open '\(input)': \(error)")
        }
        var processed = 0
        do {
            while let frame = try source.next() {
                let info = frame.info
                guard info.index % every == 0 else { continue }
                let image = RGBImage(width: info.width, height: info.height, pixels: frame.pixels.withBytes { [UInt8]($0) })
                try report(try vqa.ask(image, questions: questions, topK: topK), frame: (info.index, info.pts))
                processed += 1
                fflush(stdout)
            }
        } catch {
            throw CLIError("\(input): \(error)")
        }
        if processed == 0 { throw CLIError("'\(input)' gave no frames to process") }
    }

    private func report(_ results: [VQAResult], frame: (index: Int, pts: Double)?) throws {
        for r in results {
            if json {
                var object = "{\"question\":\(VisionCLI.json(r.question)),\"answers\":["
                object += r.answers.map { "{\"answer\":\(VisionCLI.json($0.answer)),\"score\":\($0.score)}" }.joined(separator: ",")
                object += "],\"logits\":\(VisionCLI.json(r.logits))"
                if let frame { object += ",\"frame\":\(frame.index),\"pts\":\(frame.pts)" }
                print(object + "}")
            } else {
                let at = frame.map { String(format: "frame %d (pts %.3f s): ", $0.index, $0.pts) } ?? ""
                print(at + r.question)
                let width = max(6, r.answers.map(\.answer.count).max() ?? 0)
                print("  " + "answer".padding(toLength: width, withPad: " ", startingAt: 0) + "  score")
                for a in r.answers {
                    print("  " + a.answer.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %.4f", a.score))
                }
            }
        }
    }
}
