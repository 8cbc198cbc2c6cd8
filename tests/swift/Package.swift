// swift-tools-version:5.9
// SwiftPM package testing the generated Swift bindings (module `Takeup`) against the host-built
// libtakeup_ffi. scripts/test-swift.sh stages it with the generated files (see README.md):
//   Sources/TakeupFFI/TakeupFFI.h, TakeupCoreFFI.h   C declarations of the FFI (generated)
//   Sources/Takeup/Takeup.swift, TakeupCore.swift    the Swift bindings (generated): the engine
//                                   objects and the engine's data types, one module
// and with ios/TakeupKit's own sources and tests (its Apple-only files compile to nothing here):
//   Sources/TakeupKit/              ios/TakeupKit/Sources/TakeupKit
//   Tests/TakeupKitTests/           ios/TakeupKit/Tests/TakeupKitTests
import PackageDescription

let package = Package(
    name: "TakeupBindingsTests",
    targets: [
        // The C side: header + module map (module.modulemap links -ltakeup_ffi).
        .systemLibrary(name: "TakeupFFI", path: "Sources/TakeupFFI"),
        // The generated Swift bindings, as the apps will import them: `import Takeup`.
        .target(name: "Takeup", dependencies: ["TakeupFFI"], path: "Sources/Takeup"),
        // The iOS package's portable part (formatting, presentation, policies, engine holder).
        .target(name: "TakeupKit", dependencies: ["Takeup"], path: "Sources/TakeupKit"),
        // The binding tests include the lease executor of TakeupKit (TransferDriver) run against the
        // emulator.
        .testTarget(name: "TakeupTests", dependencies: ["Takeup", "TakeupKit"], path: "Tests/TakeupTests"),
        .testTarget(name: "TakeupKitTests", dependencies: ["TakeupKit"], path: "Tests/TakeupKitTests"),
    ]
)
