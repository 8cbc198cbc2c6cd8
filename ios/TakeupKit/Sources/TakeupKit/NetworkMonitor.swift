// NWPathMonitor → engine.networkChanged(online:connectionType:). Apple only (Network framework);
// the mapping it relies on (NetworkReport.swift) is plain Swift and tested on Linux.
#if canImport(Network)
import Foundation
import Network
import Takeup

/// Watches the device's network path and reports it to the engine: once at start, then on every
/// change. Offline holds the upload queue; back online makes it retry at once.
///
///     let monitor = NetworkMonitor(engine: engine)
///     monitor.start()      // keep `monitor` alive as long as the engine runs
public final class NetworkMonitor: @unchecked Sendable {
    private let reporter: NetworkReporter
    private let queue = DispatchQueue(label: "io.takeup.network-monitor", qos: .utility)
    private let lock = NSLock()
    private var monitor: NWPathMonitor?

    public init(engine: TakeupEngine) {
        reporter = NetworkReporter(sink: engine)
    }

    /// For tests and previews: any sink.
    public init(sink: NetworkReportSink) {
        reporter = NetworkReporter(sink: sink)
    }

    /// The last report sent to the engine.
    public var lastReport: NetworkReport? { reporter.lastReport }

    /// Starts monitoring (idempotent). NWPathMonitor delivers the current path right away.
    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard monitor == nil else { return }
        let m = NWPathMonitor()
        let reporter = self.reporter
        reporter.reset()
        m.pathUpdateHandler = { path in reporter.update(PathSnapshot(path)) }
        m.start(queue: queue)
        monitor = m
    }

    /// Stops monitoring. A cancelled NWPathMonitor cannot restart: `start()` makes a new one.
    public func stop() {
        lock.lock()
        let m = monitor
        monitor = nil
        lock.unlock()
        m?.cancel()
    }

    deinit {
        monitor?.cancel()
    }
}

extension PathSnapshot {
    /// `.satisfied` only is online; interfaces in the path's preference order.
    public init(_ path: NWPath) {
        self.init(
            satisfied: path.status == .satisfied,
            interfaces: path.availableInterfaces.map { InterfaceKind($0.type) })
    }
}

extension InterfaceKind {
    public init(_ type: NWInterface.InterfaceType) {
        switch type {
        case .wifi: self = .wifi
        case .cellular: self = .cellular
        case .wiredEthernet: self = .wiredEthernet
        case .loopback: self = .loopback
        case .other: self = .other
        @unknown default: self = .other
        }
    }
}
#endif
