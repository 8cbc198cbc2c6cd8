// The Takeup iOS app: a thin SwiftUI shell over the engine's view model (shared-ui-spec/).
// The engine decides; this app reports facts (network, app state), draws the AppView it is sent,
// and sends the user's actions back.
import SwiftUI
import Takeup
import TakeupKit
import UIKit

@main
struct TakeupApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            ContentView()
                .environmentObject(appDelegate.model)
                .task { await appDelegate.model.start() }
        }
        .onChange(of: scenePhase) { phase in
            appDelegate.model.scenePhaseChanged(phase)
        }
    }
}

/// Registers the background task before launch finishes (iOS requires it then, also when it
/// launches the app in the background just to run the task).
@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate {
    let model = AppModel()

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        _ = initLogging(level: "info")
        model.background?.register()
        return true
    }

    /// iOS woke (or launched) the app for the background upload session's events: the engine
    /// starts (without its own executor when in the background), the session's completions are
    /// reported and the next parts leased; iOS gets its time back once that is done.
    func application(
        _ application: UIApplication, handleEventsForBackgroundURLSession identifier: String,
        completionHandler: @escaping () -> Void
    ) {
        model.transfers.handleEvents(identifier: identifier, completionHandler: completionHandler)
        Task { _ = try? await model.ensureEngine() }
    }
}
