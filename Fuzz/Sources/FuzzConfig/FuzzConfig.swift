import Foundation
import FuzzSupport
import VLMCore

/// Input: a config.json or a processor config. Read as each model's configuration (decode and
/// validation), as a processor config, and as the architecture probe.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let path = FuzzScratch.write("config.json", bytes)
    let url = URL(fileURLWithPath: path)
    _ = try? CLIPConfiguration.load(url)
    _ = try? OwlViTConfiguration.load(url)
    _ = try? XCLIPConfiguration.load(url)
    _ = try? CLIPSegConfiguration.load(url)
    _ = try? ModelArchitecture.read(folder: URL(fileURLWithPath: FuzzScratch.directory))
    if let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] {
        let nested = object["image_processor"] as? [String: Any] ?? object
        for type in [nil, "clip", "owlvit", "clipseg"] {
            _ = try? ImageProcessorConfig.parse(object: nested, file: "preprocessor_config.json", modelType: type)
        }
    }
    return 0
}

@_cdecl("FuzzConfig_main")
public func FuzzConfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
