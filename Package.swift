// swift-tools-version:6.0
// vlmnode: language-grounded perception nodes for robots and video pipelines.
import PackageDescription

/// Optimise the numeric code even in debug builds: the parity tests run whole (tiny) models.
/// Plain -O, not -Ounchecked: these targets parse checkpoints, configs and recordings from
/// others, and a missing check must trap rather than corrupt memory. Hot loops whose inputs are
/// validated opt out locally (unsafe buffer pointers, &+), see docs/security.md.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "vlmnode",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vlmnode", targets: ["vlmnode"]),
        .library(name: "VLMBus", targets: ["VLMBus"]),
        .library(name: "VLMCore", targets: ["VLMCore"]),
        .library(name: "VLMNode", targets: ["VLMNode"]),
        .library(name: "VLMMessages", targets: ["VLMMessages"]),
        .library(name: "VLMPlugins", targets: ["VLMPlugins"]),
        // For the fuzz harnesses (Fuzz/Package.swift).
        .library(name: "VLMLaunch", targets: ["VLMLaunch"]),
        .library(name: "VLMRecord", targets: ["VLMRecord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Foxglove schemas (generated code committed, Scripts/gen-protos.sh) and the live viewer.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries: module.modulemap + shim.h, nothing else.
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavcodec-dev", "libavformat-dev", "libswscale-dev", "libavdevice-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Libraries, one concern each.
        .target(name: "VLMBus", dependencies: ["CZMQ", "CVLMShm"]),
        // C11 atomics and checked POSIX shm calls for the shared-memory frame ring.
        .target(name: "CVLMShm"),
        .target(name: "VLMMedia", dependencies: ["CFFmpeg"]),
        .target(name: "VLMCore", dependencies: ["CBLAS", "CVLMKernels"], swiftSettings: fastMath),
        // Packed-weight AVX2/FMA sgemm (run-time dispatch, portable fallback); -O3 even in debug
        // builds, like fastMath: the parity tests run whole models through it.
        .target(name: "CVLMKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Typed wire messages (header codec + JSON Schema from one definition): light, for recorders and viewers too.
        .target(name: "VLMMessages", dependencies: ["VLMBus"]),
        .target(name: "VLMNode", dependencies: ["VLMBus", "VLMCore", "VLMMessages"]),
        .target(name: "CVLMProcess"),
        .target(name: "VLMLaunch", dependencies: ["VLMNode", "CVLMProcess"]),
        .target(name: "VLMRecord", dependencies: ["VLMBus", "VLMMessages", "VLMFoxglove", "CZstd", "CLZ4", "CZlib"], swiftSettings: fastMath),
        // Foxglove schemas and encodings shared by `record` and `view` (protobuf frames, JSON results, annotations).
        .target(name: "VLMFoxglove", dependencies: ["VLMBus", "VLMMessages", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // `vlmnode view`: Foxglove WebSocket server + browser page.
        .target(
            name: "VLMViewer",
            dependencies: [
                "VLMBus", "VLMMedia", "VLMFoxglove",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Plugin nodes: a VLMCore model + VLMNode wiring + their messages.
        .target(name: "Detection", dependencies: ["VLMCore", "VLMNode", "VLMBus", "VLMMessages"], path: "Plugins/Detection"),
        .target(name: "VideoText", dependencies: ["VLMCore", "VLMNode", "VLMBus", "VLMMessages"], path: "Plugins/VideoText"),
        .target(name: "Grounding", dependencies: ["VLMCore", "VLMNode", "VLMBus", "VLMMessages", "Detection"], path: "Plugins/Grounding"),
        .target(name: "VQA", dependencies: ["VLMCore", "VLMNode", "VLMMessages", "VLMBus"], path: "Plugins/VQA"),
        // The built-in plugins joined with media: their registration and the offline loops over videos.
        .target(name: "VLMPlugins", dependencies: ["VLMMedia", "VLMNode", "VLMMessages", "Detection", "VideoText", "Grounding", "VQA"]),

        .executableTarget(
            name: "vlmnode",
            dependencies: [
                "VLMBus", "VLMMedia", "VLMCore", "VLMNode", "VLMLaunch", "VLMRecord", "VLMFoxglove", "VLMViewer",
                "Detection", "VideoText", "Grounding", "VQA", "VLMMessages", "VLMPlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Fixture paths, running the built binary, temp dirs: shared by every test target.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "VLMBusTests", dependencies: ["VLMBus", "TestSupport"]),
        .testTarget(name: "VLMMediaTests", dependencies: ["VLMMedia", "TestSupport"]),
        .testTarget(name: "VLMCoreTests", dependencies: ["VLMCore", "TestSupport"]),
        .testTarget(name: "VLMNodeTests", dependencies: ["VLMNode", "VLMMessages", "TestSupport"]),
        .testTarget(name: "VLMLaunchTests", dependencies: ["VLMLaunch", "VLMPlugins", "TestSupport"]),
        .testTarget(name: "VLMRecordTests", dependencies: [
            "VLMRecord", "VLMFoxglove", "TestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "VLMFoxgloveTests", dependencies: [
            "VLMFoxglove", "TestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "VLMViewerTests", dependencies: ["VLMViewer", "VLMFoxglove", "TestSupport"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "TestSupport"]),
        .testTarget(name: "VideoTextTests", dependencies: ["VideoText", "TestSupport"]),
        .testTarget(name: "VLMPluginsTests", dependencies: ["VLMPlugins", "VLMNode", "VLMMessages", "VLMBus", "Detection", "VideoText", "Grounding", "TestSupport"]),
        .testTarget(name: "GroundingTests", dependencies: ["Grounding", "TestSupport"]),
        .testTarget(name: "VQATests", dependencies: ["VQA", "VLMNode", "TestSupport"]),
        // End-to-end tests that run the built `vlmnode` binary.
        .testTarget(name: "CLITests", dependencies: ["vlmnode", "VLMBus", "VLMRecord", "VLMNode", "VLMMessages", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
