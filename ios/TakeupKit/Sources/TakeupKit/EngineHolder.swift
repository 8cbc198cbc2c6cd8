// One engine per process, started on first use, whoever asks first: the app at launch, or a
// background task when iOS launched the process for it. Plain Swift (tested on Linux with a real
// engine); the backup exclusion and file protection of the state directory apply on Apple only.
import Foundation
import Takeup

/// What the engine needs from the app's configuration.
public struct EngineSettings: Sendable, Equatable {
    /// The C2C API (https only); production: `https://api.frame.io`.
    public var apiBase: String
    /// The device-code client secret of the app (from the build configuration, never from the
    /// user), for pairing with a code. Empty when the app only signs in with Frame.io accounts.
    public var clientSecret: String
    /// The app version, sent as `x-client-version` on every call: semver.
    public var clientVersion: String
    /// Part-URL hosts to allow; empty keeps the production default `*.amazonaws.com`.
    public var uploadHosts: [String]
    /// An extra root CA (PEM), for a test server only.
    public var extraRootCaPem: String?
    public var queue: QueueTuning?
    /// Sign-in with a Frame.io account: the app's OAuth client id (a public client: no secret);
    /// nil offers pairing only.
    public var appClientId: String?
    /// Where the sign-in page sends the browser back: the app's own scheme, which
    /// `ASWebAuthenticationSession` waits for (see SignInSession).
    public var appRedirectUri: String
    /// The sign-in endpoints' base URL; nil: `https://applications.frame.io`.
    public var applicationsBase: String?

    public static let productionApiBase = "https://api.frame.io"
    /// The redirect URI registered for the app.
    public static let defaultRedirectUri = "io.takeup.app:/oauth2redirect"

    public init(
        apiBase: String = EngineSettings.productionApiBase, clientSecret: String,
        clientVersion: String, uploadHosts: [String] = [], extraRootCaPem: String? = nil,
        queue: QueueTuning? = nil, appClientId: String? = nil,
        appRedirectUri: String = EngineSettings.defaultRedirectUri, applicationsBase: String? = nil
    ) {
        self.apiBase = apiBase
        self.clientSecret = clientSecret
        self.clientVersion = clientVersion
        self.uploadHosts = uploadHosts
        self.extraRootCaPem = extraRootCaPem
        self.queue = queue
        self.appClientId = appClientId
        self.appRedirectUri = appRedirectUri
        self.applicationsBase = applicationsBase
    }

    /// The engine's sign-in settings, when the app has a client id.
    public var appSignIn: AppSignIn? {
        guard let id = appClientId, !id.isEmpty else { return nil }
        return AppSignIn(clientId: id, redirectUris: [appRedirectUri],
                         applicationsBase: applicationsBase, scope: nil)
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        public var description: String {
            switch self {
            case .missing(let key): return "\(key) is missing from the app's Info.plist"
            }
        }
    }

    /// From the app's Info.plist (filled from the build settings, see ios/README.md):
    /// `TakeupClientSecret` and/or `TakeupAppClientId` (at least one: pairing with a code needs
    /// the secret, signing in with a Frame.io account the client id), `TakeupAPIBase` (default
    /// production), `TakeupApplicationsBase` (optional), `TakeupUploadHosts` (comma-separated,
    /// optional), `CFBundleShortVersionString` (the client version, padded to semver: `1.2` →
    /// `1.2.0`).
    public init(infoDictionary info: [String: Any]) throws {
        func text(_ key: String) -> String? {
            guard let s = (info[key] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !s.isEmpty, !s.hasPrefix("$(")  // an unset build setting stays "$(NAME)"
            else { return nil }
            return s
        }
        let secret = text("TakeupClientSecret")
        let appClientId = text("TakeupAppClientId")
        guard secret != nil || appClientId != nil else {
            throw ConfigurationError.missing("TakeupClientSecret")
        }
        self.init(
            apiBase: text("TakeupAPIBase") ?? Self.productionApiBase,
            clientSecret: secret ?? "",
            clientVersion: Self.semver(text("CFBundleShortVersionString") ?? "0.0.0"),
            uploadHosts: (text("TakeupUploadHosts") ?? "")
                .split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty },
            appClientId: appClientId,
            applicationsBase: text("TakeupApplicationsBase"))
    }

    /// A bundle version as semver: `1` → `1.0.0`, `1.2` → `1.2.0`, `1.2.3` unchanged (a
    /// pre-release or build suffix is kept); anything unparseable is passed through for the engine
    /// to reject with a clear error.
    public static func semver(_ version: String) -> String {
        let v = version.trimmingCharacters(in: .whitespaces)
        let coreEnd = v.firstIndex { $0 == "-" || $0 == "+" } ?? v.endIndex
        let core = v[..<coreEnd]
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return v }
        let padded = parts.map(String.init) + Array(repeating: "0", count: 3 - parts.count)
        return padded.joined(separator: ".") + v[coreEnd...]
    }

    func config(stateDir: URL) -> EngineConfig {
        EngineConfig(
            stateDir: stateDir.path, apiBase: apiBase, clientSecret: clientSecret,
            clientVersion: clientVersion, extraRootCaPem: extraRootCaPem, uploadHosts: uploadHosts,
            queue: queue, appSignIn: appSignIn)
    }
}

/// Holds the process's engine. `engine()` starts it on first use (concurrent callers share one
/// start; a failed start is retried by the next call) and returns the same object afterwards.
///
///     let holder = EngineHolder(settings: try EngineSettings(infoDictionary: Bundle.main.infoDictionary ?? [:]),
///                               secretStore: KeychainSecretStore())
///     let engine = try await holder.engine()
public actor EngineHolder {
    public nonisolated let settings: EngineSettings
    public nonisolated let stateDirectory: URL
    private let secretStore: SecretStore
    private var started: TakeupEngine?
    private var starting: Task<TakeupEngine, Error>?

    /// `stateDirectory` defaults to `Application Support/Takeup` (created on start, excluded from
    /// backup: the journal refers to local files and a server-side device, neither of which a
    /// restore on another device would have).
    public init(settings: EngineSettings, secretStore: SecretStore, stateDirectory: URL? = nil) {
        self.settings = settings
        self.secretStore = secretStore
        self.stateDirectory = stateDirectory ?? Self.defaultStateDirectory()
    }

    public static func defaultStateDirectory() -> URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)
            .first ?? FileManager.default.temporaryDirectory
        return base.appendingPathComponent("Takeup", isDirectory: true)
    }

    /// The running engine, started if needed.
    public func engine() async throws -> TakeupEngine {
        if let started { return started }
        if let starting { return try await starting.value }
        let settings = self.settings, dir = self.stateDirectory, store = self.secretStore
        let task = Task { () throws -> TakeupEngine in
            try Self.prepareStateDirectory(dir)
            return try await startEngine(config: settings.config(stateDir: dir), secretStore: store)
        }
        starting = task
        do {
            let engine = try await task.value
            started = engine
            starting = nil
            return engine
        } catch {
            starting = nil
            throw error
        }
    }

    /// The engine if it has started (no start).
    public var current: TakeupEngine? { started }

    /// Stops the engine (its uploads keep their acknowledged parts); the next `engine()` starts a
    /// new one.
    public func shutdown() {
        started?.shutdown()
        started = nil
    }

    /// Creates the state directory, excludes it from backups and (iOS) keeps it readable after the
    /// first unlock, so background uploads can open the journal while the device is locked.
    public static func prepareStateDirectory(_ dir: URL) throws {
        #if os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
            try FileManager.default.createDirectory(
                at: dir, withIntermediateDirectories: true,
                attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
        #else
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #endif
        #if canImport(Darwin)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            var url = dir
            try url.setResourceValues(values)
        #endif
    }
}
