// Engine errors as the app shows them. Plain Swift.
import Foundation
import Takeup

extension TakeupError {
    /// The engine's message: safe to show (never contains a token or the client secret).
    /// (`errorDescription` of the generated type is a debug description, not for users.)
    public var message: String {
        switch self {
        case .Network(let m), .NotAuthorized(let m), .InvalidClient(let m), .InvalidConfig(let m),
             .BadInput(let m), .Rejected(let m), .Storage(let m), .Cancelled(let m), .Busy(let m),
             .Server(let m):
            return m
        case .RateLimited(let m, _):
            return m
        }
    }

    /// Whether trying the same thing again may help (not a build or account problem).
    public var isRetryable: Bool {
        switch errorAction(error: self) {
        case .fixConfiguration, .contactSupport: return false
        default: return true
        }
    }
}
