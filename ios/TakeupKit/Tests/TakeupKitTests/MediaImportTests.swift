import Foundation
import XCTest

@testable import TakeupKit

final class MediaImportTests: XCTestCase {
    func testACopyKeepsTheOriginalTimesAndGetsAFreeName() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("takeup-import-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let picked = root.appendingPathComponent("picked")
        try FileManager.default.createDirectory(at: picked, withIntermediateDirectories: true)
        let source = picked.appendingPathComponent("A001_C002.mov")
        try Data("clip bytes".utf8).write(to: source)
        let shot = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: shot], ofItemAtPath: source.path)

        let media = root.appendingPathComponent("Media")
        let first = try MediaImport.copy(source, into: media)
        XCTAssertEqual(first.lastPathComponent, "A001_C002.mov")
        XCTAssertEqual(try Data(contentsOf: first), Data("clip bytes".utf8))
        let attrs = try FileManager.default.attributesOfItem(atPath: first.path)
        let copied = try XCTUnwrap(attrs[.modificationDate] as? Date)
        XCTAssertEqual(copied.timeIntervalSince1970, shot.timeIntervalSince1970, accuracy: 1)

        let second = try MediaImport.copy(source, into: media)
        XCTAssertNotEqual(second, first)
        XCTAssertEqual(second.pathExtension, "mov")
        XCTAssertTrue(second.lastPathComponent.hasPrefix("A001_C002-"))
    }
}
