import Foundation
import FuzzSupport
import VLMCore

/// Input: `data.pkl` alone. The harness wraps it in a valid stored zip with four 64-byte
/// storages (keys "0"-"3"), so mutations reach the unpickler and tensor rebuilding directly
/// instead of being spent on zip structure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var entries: [(String, Data)] = [("archive/data.pkl", Data(UnsafeRawBufferPointer(start: data, count: size)))]
    for k in 0 ..< 4 { entries.append(("archive/data/\(k)", Data((0 ..< 64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ k) }))) }
    let zip = StoredZip.make(entries)
    let path = zip.withUnsafeBytes { FuzzScratch.write("pytorch_model.bin", $0) }
    guard let file = try? PyTorchBinFile(path: path) else { return 0 }
    for name in file.tensorNames {
        guard let t = try? file.storedTensor(named: name) else { continue }
        _ = try? t.floats()
    }
    return 0
}

/// A minimal stored zip (no CRC: the reader does not check it).
enum StoredZip {
    static func make(_ entries: [(String, Data)]) -> Data {
        var out = Data(), directory = Data()
        func u16(_ v: Int, _ d: inout Data) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
        func u32(_ v: Int, _ d: inout Data) { u16(v & 0xFFFF, &d); u16(v >> 16 & 0xFFFF, &d) }
        for (name, data) in entries {
            let offset = out.count, n = Data(name.utf8)
            u32(0x0403_4B50, &out); for _ in 0 ..< 5 { u16(0, &out) }
            u32(0, &out); u32(data.count, &out); u32(data.count, &out); u16(n.count, &out); u16(0, &out)
            out.append(n); out.append(data)
            u32(0x0201_4B50, &directory); for _ in 0 ..< 6 { u16(0, &directory) }
            u32(0, &directory); u32(data.count, &directory); u32(data.count, &directory)
            u16(n.count, &directory); for _ in 0 ..< 4 { u16(0, &directory) }
            u32(0, &directory); u32(offset, &directory); directory.append(n)
        }
        let directoryOffset = out.count
        out.append(directory)
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(directory.count, &out); u32(directoryOffset, &out); u16(0, &out)
        return out
    }
}

@_cdecl("FuzzPickle_main")
public func FuzzPickleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
