import Foundation
import FuzzSupport
import VLMLaunch

/// Input: a launch file. Parsed, then expanded (args, substitutions, groups, includes relative
/// to the scratch directory) with a fixed environment.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // Invalid UTF-8 is fed too: LaunchXMLParser refuses it before FoundationXML (which trapped on
    // it inside a comment) sees the bytes.
    _ = try? LaunchXMLParser.parse(data: Data(bytes), file: "fuzz.launch")
    let path = FuzzScratch.write("fuzz.launch", bytes)
    let expander = LaunchExpander(environment: ["HOME": "/nonexistent", "USER": "fuzz"], anonToken: "fuzz")
    _ = try? expander.expand(fileAt: path)
    return 0
}

@_cdecl("FuzzLaunch_main")
public func FuzzLaunchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
