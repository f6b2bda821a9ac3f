import Foundation
import FuzzSupport
import VLMCore

/// The CLIP tokenizer of Tests/Fixtures (full 49408-token vocabulary), loaded once.
let tokenizer: CLIPTokenizer = {
    do {
        return try CLIPTokenizer(vocabFile: URL(fileURLWithPath: FuzzScratch.fixtures + "/tokenizer/clip/vocab.json"),
                                 mergesFile: URL(fileURLWithPath: FuzzScratch.fixtures + "/tokenizer/clip/merges.txt"),
                                 configFolder: nil)
    } catch { fatalError("fixture tokenizer: \(error)") }
}()

/// Input: a query text (any bytes, decoded as UTF-8 with replacement). Tokenized in full,
/// encoded truncated, and the truncated ids must be a prefix of the full ones.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let all = tokenizer.tokenize(text)
    let row = tokenizer.encode(text, maxLength: 77)
    precondition(Array(row.dropFirst().dropLast()) == Array(all.prefix(75)), "truncated ids are not a prefix of the full ids")
    return 0
}

@_cdecl("FuzzTokenizerInput_main")
public func FuzzTokenizerInputMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
