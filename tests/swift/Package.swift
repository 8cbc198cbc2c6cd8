// swift-tools-version:5.9
// SwiftPM package testing the generated Swift bindings (module `Takeup`) against the host-built
// libtakeup_ffi. scripts/test-swift.sh stages it with the generated files (see README.md):
//   Sources/TakeupFFI/TakeupFFI.h   C declarations of the FFI (generated)
//   Sources/Takeup/Takeup.swift     the Swift bindings (generated)
import PackageDescription

let package = Package(
    name: "TakeupBindingsTests",
    targets: [
        // The C side: header + module map (module.modulemap links -ltakeup_ffi).
        .systemLibrary(name: "TakeupFFI", path: "Sources/TakeupFFI"),
        // The generated Swift bindings, as the apps will import them: `import Takeup`.
        .target(name: "Takeup", dependencies: ["TakeupFFI"], path: "Sources/Takeup"),
        .testTarget(name: "TakeupTests", dependencies: ["Takeup"], path: "Tests/TakeupTests"),
    ]
)
