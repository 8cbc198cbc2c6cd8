// What NWPathMonitor reports, reduced to what the engine takes (`networkChanged(online:
// connectionType:)`). Plain Swift: the mapping and the de-duplication are tested on Linux; only
// NetworkMonitor.swift (NWPathMonitor → PathSnapshot) needs the Network framework.
import Foundation
import Takeup

/// The interface kinds of `NWInterface.InterfaceType`, without importing Network.
public enum InterfaceKind: Sendable, Equatable, CaseIterable {
    case wifi
    case cellular
    case wiredEthernet
    case loopback
    /// VPN tunnels (utun), some tethering interfaces, anything else.
    case other
}

/// One NWPath, reduced: satisfied or not, and the interfaces it may use in preference order
/// (`NWPath.availableInterfaces`).
public struct PathSnapshot: Sendable, Equatable {
    public var satisfied: Bool
    public var interfaces: [InterfaceKind]

    public init(satisfied: Bool, interfaces: [InterfaceKind]) {
        self.satisfied = satisfied
        self.interfaces = interfaces
    }
}

/// The engine's network input.
public struct NetworkReport: Sendable, Equatable {
    public var online: Bool
    public var connectionType: ConnectionType

    public init(online: Bool, connectionType: ConnectionType) {
        self.online = online
        self.connectionType = connectionType
    }

    /// Online only when the path is `.satisfied` (`.requiresConnection` and `.unsatisfied` are
    /// offline). The type is that of the first wifi / wired / cellular interface in preference
    /// order: a VPN (`other`) rides on the interface listed after it, loopback is never the
    /// uplink. Nothing recognisable: `.unknown` (still online if satisfied).
    public init(path: PathSnapshot) {
        online = path.satisfied
        connectionType = path.interfaces.lazy.compactMap(Self.connectionType(of:)).first ?? .unknown
    }

    /// The engine's type for one interface kind; nil for kinds that say nothing about the uplink.
    public static func connectionType(of kind: InterfaceKind) -> ConnectionType? {
        switch kind {
        case .wifi: return .wifi
        case .cellular: return .cellular
        case .wiredEthernet: return .ethernet
        case .loopback, .other: return nil
        }
    }
}

/// Where network reports go: the engine (`TakeupEngine.networkChanged`), or a test double.
public protocol NetworkReportSink: AnyObject, Sendable {
    func networkChanged(online: Bool, connectionType: ConnectionType)
}

extension TakeupEngine: NetworkReportSink {}

/// Forwards path updates to the engine: the first one always (the engine must hear the state at
/// start), then only changes (NWPathMonitor repeats paths whose interfaces' details changed).
/// Thread-safe: NWPathMonitor calls it on its own queue.
public final class NetworkReporter: @unchecked Sendable {
    private let sink: NetworkReportSink
    private let lock = NSLock()
    private var last: NetworkReport?

    public init(sink: NetworkReportSink) {
        self.sink = sink
    }

    /// The last report sent, if any.
    public var lastReport: NetworkReport? {
        lock.lock()
        defer { lock.unlock() }
        return last
    }

    /// Report `path`; returns whether the engine was told (false for a repeat).
    @discardableResult
    public func update(_ path: PathSnapshot) -> Bool {
        let report = NetworkReport(path: path)
        lock.lock()
        let changed = report != last
        if changed { last = report }
        lock.unlock()
        // Outside the lock: the engine call is quick, but never hold a lock across foreign code.
        if changed { sink.networkChanged(online: report.online, connectionType: report.connectionType) }
        return changed
    }

    /// Forget the last report, so the next update is sent even if equal (after a restart of the
    /// monitor, or a new engine).
    public func reset() {
        lock.lock()
        last = nil
        lock.unlock()
    }
}
