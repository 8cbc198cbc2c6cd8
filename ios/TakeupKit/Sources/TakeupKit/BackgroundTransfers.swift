// Uploads that go on while the phone is locked: a background URLSession moves the engine's
// leased parts out of process (one upload task per part, from a slice file in Caches), and iOS
// relaunches the app to report. The logic is TransferDriver.swift (plain Foundation, run against
// the emulator by the Linux tests with another session kind); this file is the Apple-only
// wiring: the background configuration, the app delegate's event hand-off, and when the
// platform (rather than the engine's in-process executor) moves the bytes.
//
// The app must:
//   - create one `BackgroundTransfers` early (App.init / didFinishLaunching), so the session
//     exists before iOS delivers its events;
//   - forward `application(_:handleEventsForBackgroundURLSession:completionHandler:)` to
//     `handleEvents(identifier:completionHandler:)`;
//   - call `attach(engine:)` once the engine started (also when iOS launched the process in the
//     background for the session: start the engine with `QueueTuning.engineTransfers = false`
//     there, see `engineTransfersAtLaunch`);
//   - call `appDidEnterBackground()` / `appDidBecomeActive()` on scene-phase changes.
#if canImport(UIKit)
import Foundation
import os
import Takeup
import UIKit

public final class BackgroundTransfers: NSObject, @unchecked Sendable {
    /// The background session's identifier.
    public static let sessionIdentifier = "io.takeup.uploads.transfers"

    /// The default disk budget for slice files (a setting: `UserDefaults` key
    /// `sliceBudgetDefaultsKey`, in bytes).
    public static let sliceBudgetDefaultsKey = "io.takeup.transfers.sliceBudgetBytes"

    public let driver: TransferDriver
    private let log = Logger(subsystem: "io.takeup.app", category: "transfers")
    private let lock = NSLock()
    private var engine: TakeupEngine?
    private var eventsDone: (() -> Void)?
    private let suspension = ExpirySuspension.shared

    /// Whether the engine's own executor should run when the engine starts: false when iOS
    /// launched the process in the background (for the session's events or a background task),
    /// where only the background session may move bytes.
    @MainActor
    public static var engineTransfersAtLaunch: Bool {
        UIApplication.shared.applicationState == .active
    }

    /// `sliceBudgetBytes`: the most bytes of slice files at once (default: the `UserDefaults`
    /// setting, else `TransferSettings.defaultSliceBudgetBytes`).
    public init(
        identifier: String = BackgroundTransfers.sessionIdentifier,
        sliceBudgetBytes: UInt64? = nil, maxTasks: Int = 8
    ) {
        let config = URLSessionConfiguration.background(withIdentifier: identifier)
        config.sessionSendsLaunchEvents = true
        config.isDiscretionary = false
        config.allowsCellularAccess = true
        config.httpMaximumConnectionsPerHost = maxTasks
        let stored = UserDefaults.standard.object(forKey: Self.sliceBudgetDefaultsKey) as? NSNumber
        let budget = sliceBudgetBytes ?? stored?.uint64Value ?? TransferSettings.defaultSliceBudgetBytes
        let caches = FileManager.default.urls(for: .cachesDirectory, in: .userDomainMask)[0]
        driver = TransferDriver(
            configuration: config,
            sliceDirectory: caches.appendingPathComponent("transfer-slices", isDirectory: true),
            settings: TransferSettings(maxTasks: maxTasks, sliceBudgetBytes: budget))
        super.init()
        driver.onEventsHandled = { [weak self] in self?.finishEvents() }
    }

    /// The engine started (at launch, or again): re-attach to the session's tasks (leases of
    /// tasks iOS no longer has go back to the queue), sweep orphaned slices, report what
    /// finished while the app was not running, and lease on if the app is in the background.
    public func attach(engine: TakeupEngine) async {
        lock.lock()
        self.engine = engine
        lock.unlock()
        do {
            let back = try await driver.attach(engine)
            if back > 0 { log.info("\(back) part transfers were lost by the system; sending them again") }
        } catch {
            log.error("re-attaching the upload session failed: \(String(describing: error), privacy: .public)")
        }
        let active = await MainActor.run { UIApplication.shared.applicationState == .active }
        if !active { handOver(engine) }
    }

    /// The platform takes the transfers: the engine's executor stops leasing (its parts in
    /// flight finish), the background session leases from now on.
    private func handOver(_ engine: TakeupEngine) {
        engine.setEngineTransfers(on: false)
        suspension.resume(engine)
        driver.startLeasing()
    }

    /// The app left the foreground: parts go on in the background session.
    public func appDidEnterBackground() {
        lock.lock()
        let engine = self.engine
        lock.unlock()
        if let engine { handOver(engine) }
    }

    /// The app is in the foreground: the engine's executor (adaptive, faster) takes over again;
    /// tasks already in the session finish and are reported.
    public func appDidBecomeActive() {
        driver.stopLeasing()
        lock.lock()
        let engine = self.engine
        lock.unlock()
        guard let engine else { return }
        suspension.resume(engine)
        engine.setEngineTransfers(on: true)
    }

    /// Background time ran out (`beginBackgroundTask`'s expiration): the engine's in-process
    /// work is suspended (the OS's hold, not the user's pause); the session's tasks go on.
    public func backgroundTimeExpired() {
        lock.lock()
        let engine = self.engine
        lock.unlock()
        if let engine { suspension.suspend(engine) }
    }

    /// `application(_:handleEventsForBackgroundURLSession:completionHandler:)`: iOS woke (or
    /// launched) the app for the session's events. Completions are reported and the next parts
    /// leased from the delegate callbacks; `completionHandler` runs once the session delivered
    /// everything and the driver reported it and leased what it could.
    public func handleEvents(identifier: String, completionHandler: @escaping () -> Void) {
        guard identifier == driver.session.configuration.identifier else { return }
        lock.lock()
        eventsDone = completionHandler
        let engine = self.engine
        lock.unlock()
        if let engine { handOver(engine) }
    }

    private func finishEvents() {
        lock.lock()
        let done = eventsDone
        eventsDone = nil
        lock.unlock()
        guard let done else { return }
        DispatchQueue.main.async { done() }
    }
}
#endif
