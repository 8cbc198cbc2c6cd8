// Background uploads on iOS: a BGProcessingTask that runs the engine's background work, and a
// beginBackgroundTask window that lets in-flight uploads finish when the app leaves the
// foreground. Apple only (BackgroundTasks, UIKit); the decisions (BackgroundPolicy.swift) are plain
// Swift and tested on Linux.
//
// The app must:
//   - list the identifier under BGTaskSchedulerPermittedIdentifiers in Info.plist and enable the
//     `processing` background mode (UIBackgroundModes);
//   - call `register()` before launch finishes (App.init or
//     application(_:didFinishLaunchingWithOptions:));
//   - call `appDidEnterBackground()` / `appDidBecomeActive()` on scene-phase changes.
#if canImport(BackgroundTasks) && canImport(UIKit)
import BackgroundTasks
import Foundation
import os
import Takeup
import UIKit

public final class BackgroundUploads: @unchecked Sendable {
    /// The BGProcessingTask identifier (also in the app's Info.plist).
    public static let processingTaskIdentifier = BackgroundPolicy.processingTaskIdentifier

    public let identifier: String
    private let engineProvider: @Sendable () async throws -> TakeupEngine
    private let ledger = ExpirySuspension.shared
    private let log = Logger(subsystem: "io.takeup.app", category: "background")

    /// `engine`: returns the process's engine, starting it if needed (iOS may launch the process
    /// just for the task), e.g. `{ try await holder.engine() }`.
    public init(
        identifier: String = BackgroundUploads.processingTaskIdentifier,
        engine: @escaping @Sendable () async throws -> TakeupEngine
    ) {
        self.identifier = identifier
        self.engineProvider = engine
    }

    /// Registers the task handler. Call once, before the app finishes launching.
    public func register() {
        let ok = BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) {
            [weak self] task in
            guard let self else {
                task.setTaskCompleted(success: false)
                return
            }
            self.handle(task)
        }
        if !ok {
            log.error("BGTaskScheduler refused \(self.identifier, privacy: .public): missing from BGTaskSchedulerPermittedIdentifiers?")
        }
    }

    /// Asks iOS to run the processing task when a network is available (replaces a pending
    /// request with the same identifier).
    public func schedule() {
        let request = BGProcessingTaskRequest(identifier: identifier)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        request.earliestBeginDate = nil
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Unavailable in the simulator and when Background App Refresh is off: uploads then
            // continue in the foreground only.
            log.notice("background upload request not accepted: \(String(describing: error), privacy: .public)")
        }
    }

    public func cancelScheduled() {
        BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
    }

    private func handle(_ task: BGTask) {
        let session = BackgroundSession(maxSeconds: BackgroundPolicy.processingBudget, ledger: ledger) {
            [weak self] decision in
            self?.log.info("background run: \(decision.reason, privacy: .public)")
            if decision.resubmit { self?.schedule() }
            task.setTaskCompleted(success: decision.success)
        }
        let provider = engineProvider
        let work = Task {
            do {
                let engine = try await provider()
                await session.run(engine)
            } catch {
                session.failToStart()
            }
        }
        task.expirationHandler = {
            session.expire()
            work.cancel()
        }
    }

    // MARK: app lifecycle

    /// The beginBackgroundTask window in progress, if any (main actor only).
    @MainActor private var finishing: (session: BackgroundSession, id: UIBackgroundTaskIdentifier)?

    /// The app left the foreground: ask for time to finish what is uploading
    /// (beginBackgroundTask, about 30 s) and schedule the processing task for what is left.
    @MainActor
    public func appDidEnterBackground(engine: TakeupEngine) {
        let status = engine.queueStatus()
        if BackgroundPolicy.worthScheduling(status) { schedule() }
        guard BackgroundPolicy.worthFinishing(status), finishing == nil else { return }

        let app = UIApplication.shared
        let session = BackgroundSession(
            maxSeconds: BackgroundPolicy.finishingBudget(
                backgroundTimeRemaining: app.backgroundTimeRemaining),
            ledger: ledger
        ) { [weak self] decision in
            // The expiration handler runs on the main thread: end the window before it returns.
            if Thread.isMainThread {
                MainActor.assumeIsolated { self?.endFinishing(decision) }
            } else {
                DispatchQueue.main.async { self?.endFinishing(decision) }
            }
        }
        let id = app.beginBackgroundTask(withName: "Takeup: finish uploads") { session.expire() }
        guard id != .invalid else { return }
        finishing = (session, id)
        Task { await session.run(engine) }
    }

    @MainActor
    private func endFinishing(_ decision: BackgroundDecision) {
        log.info("finishing window: \(decision.reason, privacy: .public)")
        if decision.resubmit { schedule() }
        guard let f = finishing else { return }
        finishing = nil
        UIApplication.shared.endBackgroundTask(f.id)
    }

    /// The app is in the foreground again: lift a suspension made when background time ran out.
    @MainActor
    public func appDidBecomeActive(engine: TakeupEngine) {
        ledger.resume(engine)
    }
}
#endif
