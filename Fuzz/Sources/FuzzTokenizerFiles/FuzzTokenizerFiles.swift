import Foundation
import FuzzSupport
import VLMCore

/// Input: either a tokenizer.json, or `vocab.json \n@@MERGES@@\n merges.txt` (chosen by whether
/// the separator occurs). The tokenizer built from it, if any, then encodes a fixed text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let (first, second) = FuzzScratch.split(bytes, "\n@@MERGES@@\n")
    let tokenizer: CLIPTokenizer?
    let dir = URL(fileURLWithPath: FuzzScratch.directory)
    if second.isEmpty {
        let json = dir.appendingPathComponent("tokenizer.json")
        try? first.write(to: json)
        tokenizer = try? CLIPTokenizer(tokenizerFile: json, configFolder: nil)
    } else {
        let vocab = dir.appendingPathComponent("vocab.json"), merges = dir.appendingPathComponent("merges.txt")
        try? first.write(to: vocab)
        try? second.write(to: merges)
        tokenizer = try? CLIPTokenizer(vocabFile: vocab, mergesFile: merges, configFolder: nil)
    }
    if let tokenizer {
        _ = tokenizer(["a photo of a cat", "<|startoftext|>hello world<|endoftext|> ünïcödé 123"], padding: .longest)
    }
    return 0
}

@_cdecl("FuzzTokenizerFiles_main")
public func FuzzTokenizerFilesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
