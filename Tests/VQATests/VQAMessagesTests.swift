import Foundation
import Testing
import TestSupport
import VLMBus
import VLMCore
import VLMMessages
import VLMNode
@testable import VQA

/// The VQA plugin's typed messages, frame conversion and parameter checks (the node end to end is
/// in CLITests/VQANodeTests).
@Suite struct VQAMessagesTests {
    @Test func answersRoundTripAndSchema() throws {
        let m = AnswersMessage(questions: [.init(question: "is the door open?", standing: true,
                                                 answers: [.init(answer: "yes", score: 0.75), .init(answer: "no", score: 0.25)])],
                               imageSize: [640, 480])
        let header = try m.header(seq: 3, sourceSeq: 9, sourceStampNs: 100)
        #expect(try AnswersMessage(header: header) == m)
        #expect(header.fields["image_size"] == .array([.int(640), .int(480)]))
        let schema = AnswersMessage.jsonSchema.jsonText
        #expect(schema.contains("\"questions\"") && schema.contains("\"standing\"") && schema.contains("latency_ms"))
        // A header missing a field is refused, naming it.
        var broken = header
        broken.fields["questions"] = nil
        #expect { try AnswersMessage(header: broken) } throws: { "\($0)".contains("questions") }
    }

    @Test func eventTextNamesTheChange() throws {
        let e = AnswerEventMessage(question: "door", previous: "closed", answer: "open", score: 0.9)
        #expect(e.text == "door: closed → open")
        let back = try AnswerEventMessage(header: try e.header(seq: 0))
        #expect(back.text == e.text && back.previous == "closed" && back.answer == "open")
        #expect(AnswerEventMessage.jsonSchema.jsonText.contains("\"previous\""))
    }

    @Test func framesOfEveryEncodingBecomeRGB() throws {
        // 2x2 pixels, rows padded to a step of 8 bytes.
        func frame(_ encoding: String, _ bytes: [UInt8], step: Int) throws -> FrameMessage {
            FrameMessage(info: FrameInfo(width: 2, height: 2, encoding: encoding, step: step), pixels: try Blob(bytes))
        }
        let rgb = try RGBImage(frame: frame("rgb8", [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0], step: 8))
        #expect(rgb.pixels == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        let bgr = try RGBImage(frame: frame("bgr8", [3, 2, 1, 6, 5, 4, 0, 0, 9, 8, 7, 12, 11, 10, 0, 0], step: 8))
        #expect(bgr.pixels == rgb.pixels)
        let gray = try RGBImage(frame: frame("gray8", [1, 2, 0, 0, 0, 0, 0, 0, 3, 4], step: 8))
        #expect(gray.pixels == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
        #expect { try RGBImage(frame: frame("yuv420p", [0, 0, 0, 0, 0, 0], step: 2)) } throws: { "\($0)".contains("yuv420p") }
    }

    @Test func parametersAreChecked() throws {
        let vqa = try ViltVQA(folder: Fixtures.url("models/vilt-tiny-bin"))
        #expect { try VQAProcessor(vqa: vqa, standing: ["ok", " "], every: 1, topK: 5) } throws: { "\($0)".contains("standing question 2 is empty") }
        #expect { try VQAProcessor(vqa: vqa, standing: [], every: 0, topK: 5) } throws: { "\($0)".contains("every") }
        #expect { try VQAProcessor(vqa: vqa, standing: [], every: 1, topK: 0) } throws: { "\($0)".contains("top_k") }
        #expect(VQANodePlugin.spec.outputs.map(\.type) == ["vlm/Answers", "vlm/AnswerEvent"])
    }

    /// The `precision` param (NodePrecision): int8 switches ViLT's encoder Linears and leaves the
    /// answer head fp32; a bad value fails naming the accepted ones.
    @Test func precisionParamSwitchesTheEncoder() throws {
        #expect(VQANodePlugin.spec.params.contains { $0.name == "precision" })
        func wiring(_ precision: String) -> NodeWiring {
            NodeWiring(name: "/vqa", namespace: "/", type: "vqa",
                       params: ["model": .string(Fixtures.url("models/vilt-tiny-safetensors").path), "precision": .string(precision)])
        }
        let processor = try #require(try VQANodePlugin.make(wiring: wiring("int8"), log: NodeLog { _ in }) as? VQAProcessor)
        let model = processor.vqa.model
        #expect(model.encoder.layers.allSatisfy { $0.attention.qkv.precision == .int8 && $0.mlp.fc2.precision == .int8 })
        #expect(model.classifier.2.precision == .fp32 && model.pooler.precision == .fp32)
        #expect { _ = try VQANodePlugin.make(wiring: wiring("fp16"), log: NodeLog { _ in }) } throws: {
            "\($0)".contains("fp16") && "\($0)".contains("int8")
        }
    }
}
