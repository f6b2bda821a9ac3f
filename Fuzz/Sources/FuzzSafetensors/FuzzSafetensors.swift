import Foundation
import FuzzSupport
import VLMCore

/// Input: a `.safetensors` file. Opened and every tensor converted to floats and ints.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write("fuzz.safetensors", UnsafeRawBufferPointer(start: data, count: size))
    guard let file = try? SafetensorsFile(path: path) else { return 0 }
    readAll(file)
    return 0
}

func readAll(_ store: TensorStore) {
    for name in store.tensorNames {
        guard let t = try? store.storedTensor(named: name) else { continue }
        _ = try? t.floats()
        _ = try? t.int64s()
    }
}

@_cdecl("FuzzSafetensors_main")
public func FuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
