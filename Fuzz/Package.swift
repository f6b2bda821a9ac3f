// swift-tools-version:6.0
// libFuzzer harnesses for vlmnode's parsers of outside input. A separate package (like
// swift-protobuf's FuzzTesting/) so the main `swift build` never builds it; build and run with
// Scripts/fuzz.sh, which passes -sanitize=fuzzer,address -parse-as-library to every module.
import PackageDescription

let targets: [(name: String, product: String)] = [
    ("FuzzEnvelope", "VLMBus"),
    ("FuzzLaunch", "VLMLaunch"),
    ("FuzzMCAP", "VLMRecord"),
    ("FuzzSafetensors", "VLMCore"),
    ("FuzzTorchZip", "VLMCore"),
    ("FuzzPickle", "VLMCore"),
    ("FuzzConfig", "VLMCore"),
    ("FuzzTokenizerFiles", "VLMCore"),
    ("FuzzTokenizerInput", "VLMCore"),
]

let package = Package(
    name: "vlmnode-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "vlmnode", path: "..")],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
    ] + targets.map { t in
        .executableTarget(name: t.name,
                          dependencies: ["FuzzSupport", .product(name: t.product, package: "vlmnode")],
                          path: "Sources/\(t.name)",
                          // libFuzzer provides main(); stating -parse-as-library here (not only on
                          // the command line) also stops SwiftPM renaming main to <module>_main.
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    },
    swiftLanguageModes: [.v5]
)
