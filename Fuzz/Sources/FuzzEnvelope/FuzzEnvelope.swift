import FuzzSupport
import VLMBus

/// Input: `topic \0 header-JSON \0 blob`. Exercises what a subscriber does with a received
/// envelope: the header JSON parser, the header and frame validation, the blob size check, and
/// re-encoding the header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
    let headerBytes = parts.count > 1 ? parts[1] : parts[0]
    _ = try? JSONValue.parseObject(UnsafeRawBufferPointer(rebasing: headerBytes))
    guard let header = try? MessageHeader(json: UnsafeRawBufferPointer(rebasing: headerBytes)) else { return 0 }
    _ = header.jsonText
    if let frame = try? FrameInfo(header: header) {
        let blob = parts.count > 2 ? parts[2].count : 0
        _ = frame.byteCount == blob
    }
    return 0
}

@_cdecl("FuzzEnvelope_main")
public func FuzzEnvelopeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
