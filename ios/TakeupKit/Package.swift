// swift-tools-version:5.9
// TakeupKit: the Takeup engine for iOS apps. Three targets:
//   TakeupFFI  binary target: Frameworks/TakeupFFI.xcframework (the Rust static library for iOS
//              devices and simulators + the C module TakeupFFI), built by
//              `scripts/build-ios.sh --kit` on a Mac (not committed);
//   Takeup     the UniFFI-generated Swift bindings, Sources/Takeup/{Takeup,TakeupCore}.swift (by the
//              same command; not committed);
//   TakeupKit  what every app needs around them: Keychain secret store, network monitor,
//              background uploads, the engine holder, formatting and the presentation of the
//              engine's view model.
// The portable part of TakeupKit (everything not behind `#if canImport(...)` of an Apple
// framework) and its tests are also built and run on Linux by scripts/test-swift.sh, which stages
// them into tests/swift's package next to the host-built library.
import PackageDescription

let package = Package(
    name: "TakeupKit",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "TakeupKit", targets: ["TakeupKit", "Takeup"]),
    ],
    targets: [
        .binaryTarget(name: "TakeupFFI", path: "Frameworks/TakeupFFI.xcframework"),
        .target(name: "Takeup", dependencies: ["TakeupFFI"], path: "Sources/Takeup"),
        .target(name: "TakeupKit", dependencies: ["Takeup"], path: "Sources/TakeupKit"),
        .testTarget(name: "TakeupKitTests", dependencies: ["TakeupKit"], path: "Tests/TakeupKitTests"),
    ]
)
