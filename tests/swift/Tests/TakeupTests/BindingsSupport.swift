// What the binding suites share (TakeupBindingsTests, TransferLeaseTests): the run's settings from
// scripts/test-swift.sh, waiting for a condition, and the sha256 of a local file.
import Foundation
import XCTest

/// A TAKEUP_TEST_* variable scripts/test-swift.sh sets.
func env(_ name: String) throws -> String {
    try XCTUnwrap(
        ProcessInfo.processInfo.environment[name], "\(name) is not set: run scripts/test-swift.sh")
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Poll `condition` every 50 ms until it holds, or fail after `seconds`.
func waitFor(
    _ what: String, seconds: Double, _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try await !condition() {
        if Date() > deadline { throw TimedOut(what: what) }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
}

/// The sha256 of a file, in hex (`sha256sum`: Foundation on Linux has no digest API).
func sha256Hex(of url: URL) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [url.path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    p.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return String(text.prefix(64))
}
