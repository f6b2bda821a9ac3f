import Foundation

/// Helpers shared by the harnesses: most readers take a path (they memory-map it), so each
/// input is written to a per-process scratch file first (in /dev/shm when it exists).
public enum FuzzScratch {
    public static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/vlmnode-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Writes `bytes` to `name` in the scratch directory and returns its path.
    public static func write(_ name: String, _ bytes: UnsafeRawBufferPointer) -> String {
        let path = directory + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// The repository's Tests/Fixtures (this file lives in Fuzz/Sources/FuzzSupport).
    public static let fixtures: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Fixtures").path
    }()

    /// Splits an input at the first occurrence of `separator` (for harnesses that need two files).
    public static func split(_ bytes: UnsafeRawBufferPointer, _ separator: String) -> (Data, Data) {
        let data = Data(bytes), sep = Data(separator.utf8)
        guard let r = data.range(of: sep) else { return (data, Data()) }
        return (data.subdata(in: data.startIndex ..< r.lowerBound), data.subdata(in: r.upperBound ..< data.endIndex))
    }
}

/// One libFuzzer input: bytes and count; returns 0.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: FuzzCallback) -> CInt

/// Runs libFuzzer's driver on `callback`. SwiftPM links every executable with
/// `--defsym main=<Module>_main`, so libFuzzer's own main() is never linked in; each harness
/// defines `<Module>_main` and calls this (LLVMFuzzerRunDriver is libFuzzer's API for that).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ callback: FuzzCallback) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, callback)
}
