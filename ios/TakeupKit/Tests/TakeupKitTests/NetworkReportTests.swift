import Foundation
import Takeup
import XCTest

@testable import TakeupKit

final class RecordingSink: NetworkReportSink, @unchecked Sendable {
    private let items = Recorder<NetworkReport>()
    func networkChanged(online: Bool, connectionType: ConnectionType) {
        items.add(NetworkReport(online: online, connectionType: connectionType))
    }
    var reports: [NetworkReport] { items.all }
}

final class NetworkReportTests: XCTestCase {
    func testOnlineOnlyWhenSatisfiedAndTheTypeOfTheFirstRealUplink() {
        func report(_ satisfied: Bool, _ kinds: [InterfaceKind]) -> NetworkReport {
            NetworkReport(path: PathSnapshot(satisfied: satisfied, interfaces: kinds))
        }
        XCTAssertEqual(report(true, [.wifi]), NetworkReport(online: true, connectionType: .wifi))
        XCTAssertEqual(report(true, [.cellular]), NetworkReport(online: true, connectionType: .cellular))
        XCTAssertEqual(report(true, [.wiredEthernet, .wifi]), NetworkReport(online: true, connectionType: .ethernet))
        XCTAssertEqual(report(true, [.wifi, .cellular]), NetworkReport(online: true, connectionType: .wifi))
        // A VPN tunnel (other) rides on the interface after it; loopback is never the uplink.
        XCTAssertEqual(report(true, [.other, .cellular]), NetworkReport(online: true, connectionType: .cellular))
        XCTAssertEqual(report(true, [.loopback, .wifi]), NetworkReport(online: true, connectionType: .wifi))
        XCTAssertEqual(report(true, [.other]), NetworkReport(online: true, connectionType: .unknown))
        XCTAssertEqual(report(true, []), NetworkReport(online: true, connectionType: .unknown))
        // Unsatisfied (or requiresConnection) is offline; the type is kept when known.
        XCTAssertEqual(report(false, []), NetworkReport(online: false, connectionType: .unknown))
        XCTAssertEqual(report(false, [.cellular]), NetworkReport(online: false, connectionType: .cellular))
    }

    func testEveryInterfaceKindIsMapped() {
        let mapped = InterfaceKind.allCases.map { NetworkReport.connectionType(of: $0) }
        XCTAssertEqual(mapped, [.wifi, .cellular, .ethernet, nil, nil])
    }

    func testTheReporterSendsTheFirstPathThenOnlyChanges() {
        let sink = RecordingSink()
        let reporter = NetworkReporter(sink: sink)
        let wifi = PathSnapshot(satisfied: true, interfaces: [.wifi])
        XCTAssertTrue(reporter.update(wifi))
        XCTAssertFalse(reporter.update(wifi))
        XCTAssertFalse(reporter.update(PathSnapshot(satisfied: true, interfaces: [.wifi, .loopback])))
        XCTAssertTrue(reporter.update(PathSnapshot(satisfied: false, interfaces: [])))
        XCTAssertTrue(reporter.update(PathSnapshot(satisfied: true, interfaces: [.cellular])))
        reporter.reset()
        XCTAssertTrue(reporter.update(PathSnapshot(satisfied: true, interfaces: [.cellular])))
        XCTAssertEqual(sink.reports, [
            NetworkReport(online: true, connectionType: .wifi),
            NetworkReport(online: false, connectionType: .unknown),
            NetworkReport(online: true, connectionType: .cellular),
            NetworkReport(online: true, connectionType: .cellular),
        ])
        XCTAssertEqual(reporter.lastReport, NetworkReport(online: true, connectionType: .cellular))
    }

    func testConcurrentUpdatesReportEachChangeOnce() {
        let sink = RecordingSink()
        let reporter = NetworkReporter(sink: sink)
        let path = PathSnapshot(satisfied: true, interfaces: [.wiredEthernet])
        DispatchQueue.concurrentPerform(iterations: 200) { _ in reporter.update(path) }
        XCTAssertEqual(sink.reports, [NetworkReport(online: true, connectionType: .ethernet)])
    }

    func testKeychainFailuresBecomeTypedStoreErrorsWithoutValues() {
        guard case .Unavailable(let locked) = KeychainStatus.error(
            KeychainStatus.interactionNotAllowed, operation: "read")
        else { return XCTFail("locked keychain must be Unavailable") }
        XCTAssertTrue(locked.contains("first unlocked"), locked)
        XCTAssertTrue(locked.contains("-25308"), locked)
        guard case .Unavailable = KeychainStatus.error(KeychainStatus.missingEntitlement, operation: "write")
        else { return XCTFail("missing entitlement must be Unavailable") }
        guard case .Failed(let other) = KeychainStatus.error(-50, operation: "write", message: "bad param")
        else { return XCTFail("other statuses are Failed") }
        XCTAssertEqual(other, "write: bad param (OSStatus -50)")
    }
}
