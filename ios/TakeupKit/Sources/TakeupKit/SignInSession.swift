// Sign-in with a Frame.io account on iOS: the engine's sign-in page (`signing_in`,
// `open_sign_in`) in an ASWebAuthenticationSession, which returns the URL the page ends on (the
// app's redirect URI with `code` and `state`) to hand back as `complete_sign_in`. The engine keeps
// the state and the PKCE verifier in the Keychain meanwhile and checks them; the app never sees a
// password or a secret. Apple only (AuthenticationServices); syntax-checked on Linux.
#if canImport(AuthenticationServices) && canImport(UIKit)
    import AuthenticationServices
    import Foundation
    import Takeup
    import UIKit

    @MainActor
    public final class SignInSession: NSObject, ASWebAuthenticationPresentationContextProviding {
        private var session: ASWebAuthenticationSession?

        public override init() {}

        /// Open `url`; `redirectUri`'s scheme is the one the session waits for. `completed` gets
        /// the URL the browser was sent back to; nothing when the user closes the sheet (the view
        /// model's Cancel drops the sign-in).
        public func start(url: URL, redirectUri: String, completed: @escaping @MainActor (String) -> Void) {
            session?.cancel()
            let scheme = Presentation.callbackScheme(redirectUri: redirectUri)
            let s = ASWebAuthenticationSession(url: url, callbackURLScheme: scheme) { callback, _ in
                guard let callback else { return }
                Task { @MainActor in completed(callback.absoluteString) }
            }
            s.presentationContextProvider = self
            // The user's Safari sign-in (and its saved passwords) may be used.
            s.prefersEphemeralWebBrowserSession = false
            session = s
            s.start()
        }

        public func cancel() {
            session?.cancel()
            session = nil
        }

        public nonisolated func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
            MainActor.assumeIsolated {
                UIApplication.shared.connectedScenes
                    .compactMap { $0 as? UIWindowScene }
                    .flatMap(\.windows)
                    .first { $0.isKeyWindow } ?? ASPresentationAnchor()
            }
        }
    }
#endif
