import Foundation
import FuzzSupport
import VLMRecord

/// Input: an MCAP file. Opened (summary or scan), every message iterated, verified, summarised
/// as `bag info` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write("fuzz.mcap", UnsafeRawBufferPointer(start: data, count: size))
    if let reader = try? MCAPReader(path: path) {
        if let messages = try? reader.messages() {
            while let m = try? messages.nextMessage() { _ = m }
        }
        try? reader.verify()
    }
    if let info = try? BagInfo(path: path) { _ = info.render() }
    return 0
}

@_cdecl("FuzzMCAP_main")
public func FuzzMCAPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
