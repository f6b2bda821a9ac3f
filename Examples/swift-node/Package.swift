// swift-tools-version:6.0
// A third-party node on vlmnode's Swift SDK: a package of its own that depends on vlmnode's
// library products by path (a real project would use `.package(url: …, from: …)`).
import PackageDescription

let package = Package(
    name: "swift-node",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "vlmnode", path: "../..")],
    targets: [
        .executableTarget(
            name: "label-counter",
            dependencies: [
                .product(name: "VLMNode", package: "vlmnode"),
                .product(name: "VLMMessages", package: "vlmnode"),
                .product(name: "VLMBus", package: "vlmnode"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
