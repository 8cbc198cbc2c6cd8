import Foundation
import XCTest

@testable import TakeupKit

final class FormatTests: XCTestCase {
    // The same cases as rust/takeup-core/src/ui/format.rs: both apps read like the engine.
    func testBytesMatchTheEngine() {
        XCTAssertEqual(Format.bytes(0), "0 B")
        XCTAssertEqual(Format.bytes(999), "999 B")
        XCTAssertEqual(Format.bytes(1000), "1.00 KB")
        XCTAssertEqual(Format.bytes(1_536_000), "1.54 MB")
        XCTAssertEqual(Format.bytes(12_345_678), "12.3 MB")
        XCTAssertEqual(Format.bytes(123_456_789), "123 MB")
        XCTAssertEqual(Format.bytes(999_999_999), "1.00 GB")
        XCTAssertEqual(Format.bytes(4 * 1024 * 1024 * 1024), "4.29 GB")
        XCTAssertEqual(Format.bytes(UInt64.max), "18447 PB")
    }

    func testRatesAreBitsPerSecondLikeTheEngine() {
        XCTAssertEqual(Format.bits(perSecond: 0), "0 bit/s")
        XCTAssertEqual(Format.bits(perSecond: .nan), "0 bit/s")
        XCTAssertEqual(Format.bits(perSecond: -5), "0 bit/s")
        XCTAssertEqual(Format.bits(perSecond: .infinity), "0 bit/s")
        XCTAssertEqual(Format.bits(perSecond: 48_200_000), "48 Mbit/s")
        XCTAssertEqual(Format.rate(bytesPerSecond: 1_000_000), "8.0 Mbit/s")
        XCTAssertEqual(Format.bits(perSecond: 1.2e9), "1.2 Gbit/s")
        XCTAssertEqual(Format.rate(bytesPerSecond: 100), "800 bit/s")
        XCTAssertEqual(Format.rate(bytesPerSecond: 100_000), "800 kbit/s")
    }

    func testCountdownRoundsUpAndStopsAtZero() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(300), now: now), "5:00")
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(299.2), now: now), "5:00")
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(298.9), now: now), "4:59")
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(9), now: now), "0:09")
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(3723), now: now), "1:02:03")
        XCTAssertEqual(Format.countdown(until: now, now: now), "0:00")
        XCTAssertEqual(Format.countdown(until: now.addingTimeInterval(-30), now: now), "0:00")
        XCTAssertEqual(Format.secondsLeft(until: now.addingTimeInterval(0.2), now: now), 1)
        XCTAssertEqual(Format.secondsLeft(until: now.addingTimeInterval(-1), now: now), 0)
    }

    func testDurationsEtaAndAgo() {
        XCTAssertEqual(Format.duration(seconds: 0), "0 s")
        XCTAssertEqual(Format.duration(seconds: 59.4), "59 s")
        XCTAssertEqual(Format.duration(seconds: 185), "3 min 05 s")
        XCTAssertEqual(Format.duration(seconds: 7620), "2 h 07 min")
        XCTAssertEqual(Format.duration(seconds: -4), "0 s")
        XCTAssertEqual(Format.eta(bytesRemaining: 60_000_000, bytesPerSecond: 1_000_000), "about 1 min 00 s")
        XCTAssertNil(Format.eta(bytesRemaining: 0, bytesPerSecond: 1000))
        XCTAssertNil(Format.eta(bytesRemaining: 10, bytesPerSecond: 0))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(Format.ago(now.addingTimeInterval(-2), now: now), "just now")
        XCTAssertEqual(Format.ago(now.addingTimeInterval(-40), now: now), "40 s ago")
        XCTAssertEqual(Format.ago(now.addingTimeInterval(-7200), now: now), "2 h 00 min ago")
    }

    func testPercentNeverShowsDoneEarly() {
        XCTAssertEqual(Format.percent(0), "0%")
        XCTAssertEqual(Format.percent(0.426), "42%")
        XCTAssertEqual(Format.percent(0.996), "99%")
        XCTAssertEqual(Format.percent(1), "100%")
        XCTAssertEqual(Format.percent(7), "100%")
        XCTAssertEqual(Format.percent(-1), "0%")
        XCTAssertEqual(Format.percent(.nan), "0%")
        XCTAssertEqual(Format.count(1, "file"), "1 file")
        XCTAssertEqual(Format.count(3, "file"), "3 files")
        XCTAssertEqual(Format.count(0, "entry", "entries"), "0 entries")
    }
}
