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
}
