// The app's state: the engine (through EngineHolder), its view model and the last AppView, plus the
// platform glue (network monitor, background uploads, the background upload session). Main actor
// only.
import Foundation
import SwiftUI
import Takeup
import TakeupKit

@MainActor
final class AppModel: ObservableObject {
    enum Phase: Equatable {
        case starting
        case running
        /// The engine could not start (configuration, storage): the message and whether a retry
        /// may help.
        case failed(String, retryable: Bool)
    }

    @Published private(set) var phase: Phase = .starting
    /// The view model's latest view (nil until the engine runs).
    @Published private(set) var view: AppView?
    /// A problem of the app's own (importing files), shown like the view model's `alert`.
    @Published var localAlert: String?

    let holder: EngineHolder?
    private(set) var background: BackgroundUploads?
    /// The background URLSession that moves leased parts while the app is not running (created at
    /// launch, before iOS delivers the session's events).
    let transfers = BackgroundTransfers()
    private var engine: TakeupEngine?
    private var viewModel: ViewModel?
    private var subscription: Subscription?
    private var monitor: NetworkMonitor?
    private let signInSession = SignInSession()
    /// The sign-in page last opened (each new sign-in opens once by itself).
    private var openedSignIn: String?

    init() {
        do {
            var settings = try EngineSettings(infoDictionary: Bundle.main.infoDictionary ?? [:])
            // A test server's CA (the emulator's ca.pem), if a build bundles one: for testing
            // against `takeup emulator` only, never in a release build.
            if let url = Bundle.main.url(forResource: "TestRootCA", withExtension: "pem"),
               let pem = try? String(contentsOf: url, encoding: .utf8) {
                settings.extraRootCaPem = pem
            }
            // Launched in the background (for the upload session's events, a background task):
            // only the background session moves bytes, the engine's executor starts off.
            if !BackgroundTransfers.engineTransfersAtLaunch {
                var q = settings.queue ?? QueueTuning()
                q.engineTransfers = false
                settings.queue = q
            }
            holder = EngineHolder(settings: settings, secretStore: KeychainSecretStore())
        } catch {
            holder = nil
            phase = .failed("This build is not configured: \(error)", retryable: false)
        }
        background = holder.map { _ in
            BackgroundUploads { [weak self] in
                guard let self else { throw CancellationError() }
                return try await self.ensureEngine()
            }
        }
    }

    /// The engine, started if needed, with the network monitor running. Used by the UI and by a
    /// background task that launched the process.
    func ensureEngine() async throws -> TakeupEngine {
        if let engine { return engine }
        guard let holder else { throw CancellationError() }
        let engine = try await holder.engine()
        if self.engine == nil {
            self.engine = engine
            let monitor = NetworkMonitor(engine: engine)
            monitor.start()
            self.monitor = monitor
            // Re-attach the background session's tasks to the engine (what iOS finished or
            // dropped while the app was not running is reported / sent again).
            let transfers = self.transfers
            Task { await transfers.attach(engine: engine) }
        }
        return engine
    }

    /// Starts the engine and follows its view model (idempotent).
    func start() async {
        guard subscription == nil, holder != nil else { return }
        phase = .starting
        do {
            let engine = try await ensureEngine()
            guard subscription == nil else { return }
            let vm = engine.viewModel()
            viewModel = vm
            view = vm.current()
            // Deliveries come on engine threads: hop to the main queue, in order.
            subscription = vm.subscribe(listener: ViewListenerBlock { [weak self] view in
                DispatchQueue.main.async {
                    MainActor.assumeIsolated { self?.show(view) }
                }
            })
            phase = .running
        } catch let error as TakeupError {
            phase = .failed(error.message, retryable: error.isRetryable)
        } catch {
            phase = .failed(String(describing: error), retryable: true)
        }
    }

    func retryStart() {
        Task { await start() }
    }

    /// A new view; a sign-in that just started opens its page at once.
    private func show(_ view: AppView) {
        self.view = view
        if case .signingIn(let url) = view.connection {
            if openedSignIn != url, let page = Presentation.signInPage(view.connection) {
                openedSignIn = url
                startSignIn(page)
            }
        } else {
            openedSignIn = nil
        }
    }

    /// The sign-in page in an ASWebAuthenticationSession; where it ends goes back to the engine.
    private func startSignIn(_ page: URL) {
        let redirect = holder?.settings.appRedirectUri ?? EngineSettings.defaultRedirectUri
        signInSession.start(url: page, redirectUri: redirect) { [weak self] callback in
            self?.perform(.completeSignIn, target: .redirect(callback))
        }
    }

    // MARK: actions

    func dispatch(_ action: UiAction) {
        viewModel?.dispatch(action: action)
    }

    /// Runs an action the view offers: dispatch it, open its URL (the app's own actions) or start
    /// the sign-in session.
    func perform(_ kind: ActionKind, target: ActionTarget = .none, openURL: OpenURLAction? = nil) {
        switch Presentation.command(kind, target: target, connection: view?.connection) {
        case .dispatch(let action):
            if case .cancelSignIn = action { signInSession.cancel() }
            dispatch(action)
        case .open(let url): if let openURL { openURL(url) }
        case .signIn(let url): startSignIn(url)
        case .unavailable: break
        }
    }

    // MARK: lifecycle

    func scenePhaseChanged(_ phase: ScenePhase) {
        guard let engine else { return }
        switch phase {
        case .background:
            transfers.appDidEnterBackground()
            background?.appDidEnterBackground(engine: engine)
        case .active:
            transfers.appDidBecomeActive()
            background?.appDidBecomeActive(engine: engine)
            // Re-read the device: a project renamed or a pause made in Frame.io shows at once.
            Task { await engine.appForeground() }
        case .inactive: break
        @unknown default: break
        }
    }

    // MARK: files

    /// Where imported media is kept: Documents/Media, visible in the Files app
    /// (UIFileSharingEnabled + LSSupportsOpeningDocumentsInPlace), so what was shot stays
    /// reachable by the user whatever happens to the upload.
    static var mediaDirectory: URL {
        let docs = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
        return docs.appendingPathComponent("Media", isDirectory: true)
    }

    /// Copies picked files into the media folder and queues them (auto mode uploads them; manual
    /// mode holds them for selection). The copies (multi-GB clips) are made off the main thread and
    /// keep the originals' creation and modification times (the pause rule is computed from them).
    func importFiles(_ urls: [URL]) async {
        guard let engine else { return }
        var failures: [String] = []
        let dir = Self.mediaDirectory
        for url in urls {
            do {
                let dest = try await Task.detached(priority: .userInitiated) {
                    let scoped = url.startAccessingSecurityScopedResource()
                    defer { if scoped { url.stopAccessingSecurityScopedResource() } }
                    return try MediaImport.copy(url, into: dir)
                }.value
                _ = try await engine.enqueue(path: dest.path, options: EnqueueOptions())
            } catch let error as TakeupError {
                failures.append("\(url.lastPathComponent): \(error.message)")
            } catch {
                failures.append("\(url.lastPathComponent): \(error.localizedDescription)")
            }
        }
        if !failures.isEmpty { localAlert = failures.joined(separator: "\n") }
    }
}
