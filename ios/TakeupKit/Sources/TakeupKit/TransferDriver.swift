// The platform executor of the engine's part leases, on URLSession: each leased part is written
// to a slice file and sent by one upload task (`uploadTask(with:fromFile:)`, the lease id in
// `taskDescription`); its outcome is reported back to the engine, and the next parts are leased
// from the completion callbacks. Plain Foundation (FoundationNetworking on Linux): the same code
// runs under an iOS background session (BackgroundTransfers.swift) and, with another session
// kind, in the Linux binding tests, so the tests exercise what the app ships.
import Foundation
import Takeup

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The engine calls a platform executor needs (TakeupEngine has them; tests may use a double).
public protocol TransferEngine: AnyObject, Sendable {
    func nextTransfers(limit: UInt32, wait: TimeInterval) async throws -> [PartTransfer]
    func transferSucceeded(leaseId: String, etag: String?) async throws -> TransferAck
    func transferFailed(leaseId: String, error: TransferError) async throws -> TransferAck
    func transferProgress(leaseId: String, sentBytes: UInt64)
    func pendingTransfers(leaseIds: [String]) async throws -> UInt64
    func writeTransferSlice(leaseId: String, path: String) async throws
}

extension TakeupEngine: TransferEngine {}

/// Settings of a `TransferDriver`.
public struct TransferSettings: Sendable, Equatable {
    /// Upload tasks at once.
    public var maxTasks: Int
    /// The most bytes of slice files on disk at once (Caches); at least one part is always
    /// allowed. Default 256 MiB: 16 parts of the engine's default 16 MiB.
    public var sliceBudgetBytes: UInt64
    /// How long one `nextTransfers` call may wait for the engine to prepare parts (create the
    /// asset, register real-time parts).
    public var leaseWait: TimeInterval

    public static let defaultSliceBudgetBytes: UInt64 = 256 * 1024 * 1024

    public init(
        maxTasks: Int = 6, sliceBudgetBytes: UInt64 = TransferSettings.defaultSliceBudgetBytes,
        leaseWait: TimeInterval = 10
    ) {
        self.maxTasks = max(1, maxTasks)
        self.sliceBudgetBytes = sliceBudgetBytes
        self.leaseWait = leaseWait
    }
}

/// What a finished upload task means for its lease.
public enum TransferOutcome: Equatable {
    case stored(etag: String?)
    case failed(TransferError)
}

/// Mapping URLSession results to lease reports (pure; tested without a network).
public enum TransferReport {
    /// The outcome of a finished task: `error` from `didCompleteWithError`, the response, and
    /// the body received (an S3 error's XML).
    public static func outcome(error: Error?, response: URLResponse?, body: Data) -> TransferOutcome {
        if let error {
            return .failed(transferError(for: error))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failed(.network(kind: .interrupted))
        }
        if (200..<300).contains(http.statusCode) {
            return .stored(etag: header(http, "ETag"))
        }
        let retryAfter = header(http, "Retry-After").flatMap { TimeInterval($0) }
        return .failed(
            .http(
                status: UInt16(clamping: http.statusCode),
                body: String(decoding: body.prefix(4096), as: UTF8.self),
                retryAfter: retryAfter))
    }

    /// A URLSession error as the engine's failure kinds. A cancelled task gives its lease back
    /// unsent (not a failure of the part).
    public static func transferError(for error: Error) -> TransferError {
        let ns = error as NSError
        guard ns.domain == NSURLErrorDomain else {
            return .network(kind: .interrupted)
        }
        switch URLError.Code(rawValue: ns.code) {
        case .cancelled:
            return .abandoned
        case .timedOut:
            return .network(kind: .timeout)
        case .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet,
            .internationalRoamingOff, .dataNotAllowed, .callIsActive:
            return .network(kind: .connect)
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid,
            .clientCertificateRejected, .clientCertificateRequired:
            return .network(kind: .tls)
        case .fileDoesNotExist, .cannotOpenFile, .noPermissionsToReadFile:
            return .file(detail: "the slice file could not be read (\(ns.code))")
        default:
            return .network(kind: .interrupted)
        }
    }

    static func header(_ r: HTTPURLResponse, _ name: String) -> String? {
        for (k, v) in r.allHeaderFields {
            if let k = k as? String, k.caseInsensitiveCompare(name) == .orderedSame {
                return v as? String
            }
        }
        return nil
    }

    /// The request a lease describes: its method, URL and exact headers. `Content-Length` is left
    /// to URLSession, which sets it from the slice file (the lease's length).
    public static func request(for t: PartTransfer) -> URLRequest? {
        guard let url = URL(string: t.url) else { return nil }
        var r = URLRequest(url: url)
        r.httpMethod = t.method
        for h in t.headers where h.name.caseInsensitiveCompare("Content-Length") != .orderedSame {
            r.setValue(h.value, forHTTPHeaderField: h.name)
        }
        return r
    }
}

/// Drives the engine's platform leases through one URLSession. Create it with the session
/// configuration (background on iOS), `attach` an engine (at launch, and again after the engine
/// was restarted), `startLeasing` when the platform should move the bytes.
public final class TransferDriver: NSObject, @unchecked Sendable {
    public let sliceDirectory: URL
    public let settings: TransferSettings
    private(set) public var session: URLSession!

    private let lock = NSLock()
    private var engine: TransferEngine?
    private var leasing = false
    private var pumping = false
    private var pumpAgain = false
    /// Lease id → slice size, for tasks this driver (or an earlier process) started.
    private var inFlight: [String: UInt64] = [:]
    private var bodies: [Int: Data] = [:]
    private var reportsInFlight = 0
    /// Leases whose task completion this driver handled: a session may still list such a task
    /// (its registry lags the delegate), and it must not count as in flight again.
    private var handled: Set<String> = []
    /// Outcomes no engine took yet (none attached, or it was stopping): reported on `attach`.
    private var unreported: [(leaseId: String, outcome: TransferOutcome)] = []
    private var waiters: [(settledOnly: Bool, c: CheckedContinuation<Void, Never>)] = []
    /// Called on the delegate queue after each report (tests, the iOS completion handler).
    public var onReport: (@Sendable (String, TransferOutcome, TransferAck?) -> Void)?
    /// Called when the session delivered all its events (background sessions) and the driver
    /// reported them and leased what it could: iOS's events completion handler may run.
    public var onEventsHandled: (@Sendable () -> Void)?

    /// `configuration`: `.background(withIdentifier:)` on iOS; any other kind in tests.
    /// Slice files live in `sliceDirectory` (created if needed).
    public init(
        configuration: URLSessionConfiguration, sliceDirectory: URL,
        settings: TransferSettings = TransferSettings()
    ) {
        self.sliceDirectory = sliceDirectory
        self.settings = settings
        super.init()
        try? FileManager.default.createDirectory(
            at: sliceDirectory, withIntermediateDirectories: true)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "io.takeup.transfers"
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    /// The slice file of a lease.
    public func slicePath(_ leaseId: String) -> URL {
        // Lease ids are engine-made (letters, digits, dashes); anything else is replaced.
        let safe = String(leaseId.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return sliceDirectory.appendingPathComponent("\(safe).slice")
    }

    /// Lease ids of the tasks the session runs (still running or with completions pending).
    public func runningLeaseIds() async -> [String] {
        await withCheckedContinuation { (c: CheckedContinuation<[String], Never>) in
            session.getAllTasks { tasks in
                c.resume(returning: tasks.compactMap { t in
                    t.state == .canceling ? nil : t.taskDescription
                })
            }
        }
    }

    /// Use `engine` (at launch, or a restarted one): tell it which leases the session still
    /// runs (every other lease the platform held goes back to the queue), and sweep slice files
    /// no task uses. Returns how many leases the engine took back.
    /// Outcomes that arrived while no engine could take them are reported to this one.
    @discardableResult
    public func attach(_ engine: TransferEngine) async throws -> UInt64 {
        let running = await runningLeaseIds()
        let sizes = running.map { (try? sliceSize($0)) ?? 0 }
        let done = locked { () -> [(leaseId: String, outcome: TransferOutcome)] in
            self.engine = engine
            for (id, size) in zip(running, sizes) where inFlight[id] == nil && !handled.contains(id) {
                inFlight[id] = size
            }
            let done = unreported
            unreported = []
            reportsInFlight += 1
            return done
        }
        sweepOrphans(keeping: Set(running))
        defer {
            let ready = locked { () -> [CheckedContinuation<Void, Never>] in
                reportsInFlight -= 1
                return notifyIfIdleLocked()
            }
            ready.forEach { $0.resume() }
        }
        let back = try await engine.pendingTransfers(leaseIds: running + done.map { $0.leaseId })
        for d in done {
            let ack = await report(d.leaseId, d.outcome, to: engine)
            onReport?(d.leaseId, d.outcome, ack)
        }
        return back
    }

    /// Report one outcome; nil (and kept for the next engine) when the engine could not take it.
    private func report(_ leaseId: String, _ outcome: TransferOutcome, to engine: TransferEngine?)
        async -> TransferAck?
    {
        var ack: TransferAck?
        if let engine {
            switch outcome {
            case let .stored(etag):
                ack = try? await engine.transferSucceeded(leaseId: leaseId, etag: etag)
            case let .failed(e):
                ack = try? await engine.transferFailed(leaseId: leaseId, error: e)
            }
        }
        if ack == nil {
            locked { unreported.append((leaseId, outcome)) }
        }
        return ack
    }

    /// Forget the engine (it is being stopped): completions arriving meanwhile are reported to
    /// the next one attached.
    public func detach() {
        lock.lock()
        engine = nil
        lock.unlock()
    }

    /// Lease parts and start tasks until told to stop; completions lease the next ones.
    public func startLeasing() {
        lock.lock()
        leasing = true
        lock.unlock()
        pump()
    }

    /// Lease no more parts (tasks in flight go on and are reported).
    public func stopLeasing() {
        lock.lock()
        leasing = false
        lock.unlock()
    }

    /// Cancel every task (their leases are given back as abandoned when reported).
    public func cancelAll() {
        session.getAllTasks { tasks in tasks.forEach { $0.cancel() } }
    }

    /// Lease ids of the tasks in flight (diagnostics, tests).
    public var leasesInFlight: [String] {
        lock.lock()
        defer { lock.unlock() }
        return Array(inFlight.keys)
    }

    /// Whether nothing is in flight, pending a report or being leased.
    public var isIdle: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isIdleLocked
    }

    public var tasksInFlight: Int {
        lock.lock()
        defer { lock.unlock() }
        return inFlight.count
    }

    /// Waits until no task is in flight, no report is pending and leasing is not running.
    public func waitIdle() async {
        await wait(settledOnly: false)
    }

    /// Waits until no report is pending and leasing is not running (tasks may be in flight in
    /// the session): what a background wake must reach before handing the time back to iOS.
    public func waitSettled() async {
        await wait(settledOnly: true)
    }

    private func wait(settledOnly: Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if settledOnly ? isSettledLocked : isIdleLocked {
                lock.unlock()
                c.resume()
            } else {
                waiters.append((settledOnly, c))
                lock.unlock()
            }
        }
    }

    /// Runs `body` under the lock (usable from async code, unlike lock()/unlock()).
    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private var isSettledLocked: Bool { reportsInFlight == 0 && !pumping }
    private var isIdleLocked: Bool { inFlight.isEmpty && isSettledLocked }

    /// The waiters whose condition holds now (removed; resume them outside the lock).
    private func notifyIfIdleLocked() -> [CheckedContinuation<Void, Never>] {
        var ready: [CheckedContinuation<Void, Never>] = []
        waiters.removeAll { w in
            let ok = w.settledOnly ? isSettledLocked : isIdleLocked
            if ok { ready.append(w.c) }
            return ok
        }
        return ready
    }

    /// Remove slice files no running task uses (left by a killed process).
    public func sweepOrphans(keeping running: Set<String>) {
        let keep = Set(running.map { slicePath($0).lastPathComponent })
        let files =
            (try? FileManager.default.contentsOfDirectory(atPath: sliceDirectory.path)) ?? []
        for f in files where !keep.contains(f) {
            try? FileManager.default.removeItem(at: sliceDirectory.appendingPathComponent(f))
        }
    }

    private func sliceSize(_ leaseId: String) throws -> UInt64 {
        let a = try FileManager.default.attributesOfItem(atPath: slicePath(leaseId).path)
        return (a[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// How many more parts to lease now: the task limit, and the slice budget (estimated with the
    /// largest slice in flight; one part always fits when nothing is in flight).
    private func roomLocked() -> Int {
        let tasks = settings.maxTasks - inFlight.count
        if inFlight.isEmpty { return max(tasks, 0) }
        let used = inFlight.values.reduce(0, +)
        let part = max(inFlight.values.max() ?? 1, 1)
        let byBudget = used >= settings.sliceBudgetBytes ? 0 : Int((settings.sliceBudgetBytes - used) / part)
        return max(0, min(tasks, byBudget))
    }

    /// Lease and start tasks while there is room; one pump at a time (a request while pumping
    /// makes the running pump go round again).
    public func pump() {
        lock.lock()
        guard leasing, engine != nil else {
            lock.unlock()
            return
        }
        if pumping {
            pumpAgain = true
            lock.unlock()
            return
        }
        pumping = true
        lock.unlock()
        Task { await self.pumpLoop() }
    }

    private func pumpLoop() async {
        while true {
            let (room, engine) = locked { () -> (Int, TransferEngine?) in
                pumpAgain = false
                return (leasing ? roomLocked() : 0, self.engine)
            }
            var started = 0
            if room > 0, let engine {
                let leases = (try? await engine.nextTransfers(
                    limit: UInt32(room), wait: settings.leaseWait)) ?? []
                for t in leases {
                    if await start(t, engine) { started += 1 }
                }
            }
            let ready = locked { () -> [CheckedContinuation<Void, Never>]? in
                if pumpAgain || (started > 0 && leasing && roomLocked() > 0) { return nil }
                pumping = false
                return notifyIfIdleLocked()
            }
            guard let ready else { continue }
            ready.forEach { $0.resume() }
            return
        }
    }

    /// Write the lease's slice and start its upload task; a lease that cannot be sent is
    /// reported at once.
    private func start(_ t: PartTransfer, _ engine: TransferEngine) async -> Bool {
        let file = slicePath(t.leaseId)
        do {
            try await engine.writeTransferSlice(leaseId: t.leaseId, path: file.path)
        } catch {
            try? FileManager.default.removeItem(at: file)
            _ = try? await engine.transferFailed(
                leaseId: t.leaseId, error: .file(detail: "\(error)"))
            return false
        }
        guard let request = TransferReport.request(for: t) else {
            try? FileManager.default.removeItem(at: file)
            _ = try? await engine.transferFailed(
                leaseId: t.leaseId, error: .file(detail: "the lease's URL is not valid"))
            return false
        }
        let task = session.uploadTask(with: request, fromFile: file)
        task.taskDescription = t.leaseId
        locked { inFlight[t.leaseId] = t.length }
        task.resume()
        return true
    }

    /// A task finished: delete its slice, report, lease the next parts.
    private func finished(_ task: URLSessionTask, error: Error?) {
        guard let leaseId = task.taskDescription else { return }
        lock.lock()
        let body = bodies.removeValue(forKey: task.taskIdentifier) ?? Data()
        handled.insert(leaseId)
        reportsInFlight += 1
        let engine = self.engine
        lock.unlock()
        try? FileManager.default.removeItem(at: slicePath(leaseId))
        let outcome = TransferReport.outcome(error: error, response: task.response, body: body)
        Task {
            // No engine (it is being restarted), or it stopped meanwhile: kept for the next
            // `attach`, which keeps the lease and reports it.
            let ack = await report(leaseId, outcome, to: engine)
            locked {
                inFlight[leaseId] = nil
                reportsInFlight -= 1
            }
            onReport?(leaseId, outcome, ack)
            pump()
            locked { notifyIfIdleLocked() }.forEach { $0.resume() }
        }
    }
}

extension TransferDriver: URLSessionDataDelegate {
    public func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
        totalBytesSent: Int64, totalBytesExpectedToSend: Int64
    ) {
        guard let id = task.taskDescription else { return }
        lock.lock()
        let engine = self.engine
        lock.unlock()
        engine?.transferProgress(leaseId: id, sentBytes: UInt64(max(0, totalBytesSent)))
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        var b = bodies[dataTask.taskIdentifier] ?? Data()
        if b.count < 4096 { b.append(data.prefix(4096 - b.count)) }
        bodies[dataTask.taskIdentifier] = b
        lock.unlock()
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        finished(task, error: error)
    }

    #if canImport(ObjectiveC)
    /// A background session delivered all its events: once they are reported and the next parts
    /// leased, iOS may have its time back.
    public func urlSessionDidFinishEvents(forBackgroundURLSession session: URLSession) {
        Task {
            await waitSettled()
            onEventsHandled?()
        }
    }
    #endif
}
