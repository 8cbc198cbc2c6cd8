import Foundation
import Takeup
import XCTest

@testable import TakeupKit

/// An in-memory SecretStore (the Keychain one is Apple-only).
final class MemoryStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: String] = [:]
    func get(key: String) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        return map[key]
    }
    func set(key: String, value: String) throws {
        lock.lock()
        map[key] = value
        lock.unlock()
    }
    func delete(key: String) throws {
        lock.lock()
        map.removeValue(forKey: key)
        lock.unlock()
    }
    var keys: [String] {
        lock.lock()
        defer { lock.unlock() }
        return Array(map.keys)
    }
}

final class EngineHolderTests: XCTestCase {
    private func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent(
            "takeupkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    func testSettingsFromInfoPlist() throws {
        let s = try EngineSettings(infoDictionary: [
            "TakeupClientSecret": " s3cret ",
            "CFBundleShortVersionString": "1.4",
            "TakeupUploadHosts": "uploads.example.com, *.amazonaws.com ,",
        ])
        XCTAssertEqual(s.apiBase, "https://api.frame.io")
        XCTAssertEqual(s.clientSecret, "s3cret")
        XCTAssertEqual(s.clientVersion, "1.4.0")
        XCTAssertEqual(s.uploadHosts, ["uploads.example.com", "*.amazonaws.com"])

        let t = try EngineSettings(infoDictionary: [
            "TakeupClientSecret": "x", "TakeupAPIBase": "https://emu.local:8443",
            "TakeupUploadHosts": "$(TAKEUP_UPLOAD_HOSTS)",
        ])
        XCTAssertEqual(t.apiBase, "https://emu.local:8443")
        XCTAssertEqual(t.clientVersion, "0.0.0")
        XCTAssertEqual(t.uploadHosts, [])

        // An unset build setting is still "$(NAME)" in the plist: treated as missing.
        XCTAssertThrowsError(try EngineSettings(infoDictionary: ["TakeupClientSecret": "$(TAKEUP_CLIENT_SECRET)"])) {
            XCTAssertEqual($0 as? EngineSettings.ConfigurationError, .missing("TakeupClientSecret"))
        }
        XCTAssertThrowsError(try EngineSettings(infoDictionary: [:]))
    }

    func testSemverPadding() {
        XCTAssertEqual(EngineSettings.semver("1"), "1.0.0")
        XCTAssertEqual(EngineSettings.semver("1.2"), "1.2.0")
        XCTAssertEqual(EngineSettings.semver("1.2.3"), "1.2.3")
        XCTAssertEqual(EngineSettings.semver("2.0-beta.1"), "2.0.0-beta.1")
        XCTAssertEqual(EngineSettings.semver("1.2+45"), "1.2.0+45")
        XCTAssertEqual(EngineSettings.semver("1.2.3.4"), "1.2.3.4")  // left for the engine to reject
        XCTAssertEqual(EngineSettings.semver("v1"), "v1")
    }

    func testOneEngineForConcurrentCallersInAFreshStateDirectory() async throws {
        // The chroot has no system CA store, and the engine's TLS setup needs at least one root:
        // the emulator's test CA (scripts/test-swift.sh) stands in. Nothing is contacted.
        guard let caFile = ProcessInfo.processInfo.environment["TAKEUP_TEST_CA_PEM_FILE"] else {
            throw XCTSkip("TAKEUP_TEST_CA_PEM_FILE is not set: run scripts/test-swift.sh")
        }
        let base = try tempDir()
        let dir = base.appendingPathComponent("Application Support/Takeup")
        let holder = EngineHolder(
            settings: EngineSettings(apiBase: "https://127.0.0.1:9", clientSecret: "test-secret",
                                     clientVersion: "1.0.0",
                                     extraRootCaPem: try String(contentsOfFile: caFile, encoding: .utf8)),
            secretStore: MemoryStore(), stateDirectory: dir)
        let current = await holder.current
        XCTAssertNil(current)
        async let a = holder.engine()
        async let b = holder.engine()
        async let c = holder.engine()
        let engines = try await [a, b, c]
        XCTAssertTrue(engines[0] === engines[1] && engines[1] === engines[2], "one engine")
        let again = try await holder.engine()
        XCTAssertTrue(again === engines[0])
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) && isDir.boolValue)
        XCTAssertEqual(again.connectionState(), .notAuthorized)

        await holder.shutdown()
        let afterShutdown = await holder.current
        XCTAssertNil(afterShutdown)
        let restarted = try await holder.engine()
        XCTAssertFalse(restarted === engines[0], "a new engine after shutdown")
        await holder.shutdown()
        try? FileManager.default.removeItem(at: base)
    }

    func testAFailedStartIsReportedAndRetriedByTheNextCall() async throws {
        let dir = try tempDir()
        let holder = EngineHolder(
            settings: EngineSettings(apiBase: "http://127.0.0.1:9", clientSecret: "x", clientVersion: "1.0.0"),
            secretStore: MemoryStore(), stateDirectory: dir)
        for _ in 0..<2 {
            do {
                _ = try await holder.engine()
                XCTFail("expected InvalidConfig")
            } catch let e as TakeupError {
                guard case .InvalidConfig = e else { return XCTFail("\(e)") }
            }
        }
        let current = await holder.current
        XCTAssertNil(current)
        try? FileManager.default.removeItem(at: dir)
    }

    func testDefaultStateDirectoryIsInApplicationSupport() {
        let dir = EngineHolder.defaultStateDirectory()
        XCTAssertEqual(dir.lastPathComponent, "Takeup")
    }
}
