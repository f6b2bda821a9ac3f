import Foundation
import FuzzSupport
import VLMCore

/// Input: a whole `pytorch_model.bin` (torch.save zip): central directory, zip64, local
/// headers, data.pkl through the restricted unpickler, every tensor materialised.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write("pytorch_model.bin", UnsafeRawBufferPointer(start: data, count: size))
    guard let file = try? PyTorchBinFile(path: path) else { return 0 }
    for name in file.tensorNames {
        guard let t = try? file.storedTensor(named: name) else { continue }
        _ = try? t.floats()
    }
    return 0
}

@_cdecl("FuzzTorchZip_main")
public func FuzzTorchZipMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
