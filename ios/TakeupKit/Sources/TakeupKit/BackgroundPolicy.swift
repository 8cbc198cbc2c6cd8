// The decisions around background uploads, in plain Swift (tested on Linux): when to ask iOS for
// background time, what to tell it when a run ends, and how an expiring run stops the engine
// (the engine's suspension hold, never the user's persisted pause). BackgroundUploads.swift
// (Apple only) wires these to BGTaskScheduler and UIApplication.beginBackgroundTask.
import Foundation
import Takeup

/// The engine calls a background run needs (TakeupEngine has them; tests use a double).
public protocol BackgroundWorkEngine: AnyObject, Sendable {
    func runBackgroundWork(maxSeconds: UInt32) async -> BackgroundResult
    /// The OS suspends the app's work (or allows it again): a hold of its own, never the user's
    /// persisted pause.
    func setSuspended(suspended: Bool)
    func queueStatus() -> QueueStatus
}

extension TakeupEngine: BackgroundWorkEngine {}

/// What to do when a background run ends.
public struct BackgroundDecision: Sendable, Equatable {
    /// `BGTask.setTaskCompleted(success:)`.
    public var success: Bool
    /// Submit a new BGProcessingTaskRequest (work is left that a later run can do).
    public var resubmit: Bool
    /// Why, for the log (no file names, no ids).
    public var reason: String

    public init(success: Bool, resubmit: Bool, reason: String) {
        self.success = success
        self.resubmit = resubmit
        self.reason = reason
    }
}

public enum BackgroundPolicy {
    /// The BGProcessingTask identifier; the app's Info.plist lists it under
    /// BGTaskSchedulerPermittedIdentifiers (checked by InfoPlistTests).
    public static let processingTaskIdentifier = "io.takeup.uploads.processing"

    /// The time budget of a BGProcessingTask run. iOS gives such tasks minutes (while charging
    /// and idle, often more) and calls the expiration handler when it wants the time back; the
    /// budget only bounds a run iOS lets go on.
    public static let processingBudget: UInt32 = 30 * 60

    /// Most seconds asked for when finishing in-flight work after the app leaves the foreground
    /// (iOS grants about 30 s through beginBackgroundTask).
    public static let finishingBudgetMax: UInt32 = 25

    /// Holds only the user can lift: running later will not help, so no background time is asked
    /// for (the app asks again when it next goes to the background).
    public static func isHeldByUser(_ hold: Hold?) -> Bool {
        switch hold {
        case .pausedByUser?, .notAuthorized?, .notConnected?: return true
        case .offline?, .suspended?, .insecure?, nil: return false
        }
    }

    /// Whether to submit a BGProcessingTaskRequest when the app goes to the background: files
    /// are queued or uploading (held files wait for the user's selection: not counted) and the
    /// queue is not held for a reason only the user can lift. Offline counts as work: the request
    /// requires network connectivity, so iOS runs it once back online.
    public static func worthScheduling(_ status: QueueStatus) -> Bool {
        status.totals.queued + status.totals.active > 0 && !isHeldByUser(status.hold)
    }

    /// Whether to ask for finishing time (beginBackgroundTask) when the app goes to the
    /// background: something is uploading right now.
    public static func worthFinishing(_ status: QueueStatus) -> Bool {
        status.totals.active > 0 && !isHeldByUser(status.hold)
    }

    /// The finishing budget from `UIApplication.backgroundTimeRemaining` (a huge value while in
    /// the foreground): five seconds short of what is left, to end the task before iOS expires it,
    /// at most `finishingBudgetMax`, at least 1.
    public static func finishingBudget(backgroundTimeRemaining remaining: TimeInterval) -> UInt32 {
        guard remaining.isFinite, remaining < 1_000_000 else { return finishingBudgetMax }
        let usable = (remaining - 5).rounded(.down)
        return UInt32(min(Double(finishingBudgetMax), max(1, usable)))
    }

    /// The decision for a finished run. `result` nil: the run did not get to the engine (it
    /// failed to start, or iOS expired the task first).
    public static func decide(_ result: BackgroundResult?, expired: Bool) -> BackgroundDecision {
        if expired {
            return BackgroundDecision(
                success: false, resubmit: true, reason: "expired by the system: resubmitting")
        }
        guard let r = result else {
            return BackgroundDecision(
                success: false, resubmit: true, reason: "the engine did not start: resubmitting")
        }
        if isHeldByUser(r.hold) {
            return BackgroundDecision(
                success: true, resubmit: false,
                reason: "held (\(holdName(r.hold))): waiting for the user, \(r.uploaded) uploaded")
        }
        if r.moreWork {
            let why = r.hold == .offline ? "offline" : r.timedOut ? "out of time" : "work left"
            return BackgroundDecision(
                success: true, resubmit: true,
                reason: "\(why): \(r.uploaded) uploaded, \(r.remaining) left, resubmitting")
        }
        return BackgroundDecision(
            success: true, resubmit: false, reason: "queue drained: \(r.uploaded) uploaded")
    }

    static func holdName(_ hold: Hold?) -> String {
        switch hold {
        case .pausedByUser?: return "paused by the user"
        case .offline?: return "offline"
        case .notAuthorized?: return "not paired"
        case .notConnected?: return "no project"
        case .suspended?: return "suspended by the system"
        case .insecure?: return "no secure connection"
        case nil: return "none"
        }
    }
}

/// Remembers whether background code suspended the engine because iOS took its time back, so
/// the suspension is lifted when the app (or the next background run) continues. Suspension is
/// the engine's own hold (`set_suspended`): the user's pause is persisted and untouched by it, so
/// a pause the user chose stays whatever the background code does.
public final class ExpirySuspension: @unchecked Sendable {
    /// The app's one ledger: the background task window (BackgroundUploads) suspends, the
    /// background upload session's wake (BackgroundTransfers) lifts it to lease the next parts.
    public static let shared = ExpirySuspension()

    private let lock = NSLock()
    private var suspendedForExpiry = false

    public init() {}

    public var isSuspendedForExpiry: Bool {
        lock.lock()
        defer { lock.unlock() }
        return suspendedForExpiry
    }

    /// Stop the engine's in-process uploads now (acknowledged parts are kept; transfers handed to
    /// the background URLSession go on in the OS).
    public func suspend(_ engine: BackgroundWorkEngine) {
        lock.lock()
        suspendedForExpiry = true
        lock.unlock()
        engine.setSuspended(suspended: true)
    }

    /// Lift the suspension if this ledger made it; returns whether it did.
    @discardableResult
    public func resume(_ engine: BackgroundWorkEngine) -> Bool {
        lock.lock()
        let ours = suspendedForExpiry
        suspendedForExpiry = false
        lock.unlock()
        if ours { engine.setSuspended(suspended: false) }
        return ours
    }
}

/// One stretch of background time (a BGProcessingTask, or a beginBackgroundTask window): runs the
/// engine's background work, and reports exactly one decision, whichever of "the run ended",
/// "iOS expired it" and "the engine could not start" comes first.
public final class BackgroundSession: @unchecked Sendable {
    private let ledger: ExpirySuspension
    private let maxSeconds: UInt32
    private let complete: @Sendable (BackgroundDecision) -> Void
    private let lock = NSLock()
    private var engine: BackgroundWorkEngine?
    private var finished = false

    /// `complete` is called once, on whichever thread finishes the session.
    public init(
        maxSeconds: UInt32, ledger: ExpirySuspension,
        complete: @escaping @Sendable (BackgroundDecision) -> Void
    ) {
        self.maxSeconds = maxSeconds
        self.ledger = ledger
        self.complete = complete
    }

    public var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    /// Runs the engine's background work and completes with its decision, unless the session was
    /// already completed (expired). Lifts an earlier expiry suspension first.
    public func run(_ engine: BackgroundWorkEngine) async {
        guard claim(engine) else { return }
        ledger.resume(engine)
        let result = await engine.runBackgroundWork(maxSeconds: maxSeconds)
        finish(BackgroundPolicy.decide(result, expired: false))
    }

    /// Records the engine of a run that may start; false if the session is already over.
    private func claim(_ engine: BackgroundWorkEngine) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if finished { return false }
        self.engine = engine
        return true
    }

    /// iOS wants the time back (expiration handler): suspend the engine's in-process uploads so
    /// they stop cleanly, and complete now. The pending `runBackgroundWork` then returns within
    /// moments (the engine's run ends on the suspension hold).
    public func expire() {
        lock.lock()
        let engine = finished ? nil : self.engine
        lock.unlock()
        if let engine { ledger.suspend(engine) }
        finish(BackgroundPolicy.decide(nil, expired: true))
    }

    /// The engine could not be started for this run.
    public func failToStart() {
        finish(BackgroundPolicy.decide(nil, expired: false))
    }

    private func finish(_ decision: BackgroundDecision) {
        lock.lock()
        let first = !finished
        finished = true
        lock.unlock()
        if first { complete(decision) }
    }
}
