// How the Keychain's OSStatus codes become the engine's SecretStoreError. Plain Swift (the codes
// are fixed values of Security's SecBase.h), so the policy is tested on Linux; the Keychain calls
// themselves are in KeychainSecretStore.swift (Apple only).
import Foundation
import Takeup

public enum KeychainStatus {
    public static let success: Int32 = 0                   // errSecSuccess
    public static let itemNotFound: Int32 = -25300         // errSecItemNotFound
    public static let duplicateItem: Int32 = -25299        // errSecDuplicateItem
    public static let interactionNotAllowed: Int32 = -25308 // errSecInteractionNotAllowed
    public static let notAvailable: Int32 = -25291         // errSecNotAvailable
    public static let missingEntitlement: Int32 = -34018   // errSecMissingEntitlement
    public static let decode: Int32 = -26275               // errSecDecode

    /// The engine's error for a failed Keychain call. `Unavailable` when the Keychain cannot be
    /// used right now or in this build (device locked before first unlock, no Keychain, missing
    /// entitlement): the engine keeps running without tokens and says so. Anything else is
    /// `Failed`. The reason names the operation and the status, never a key's value.
    public static func error(_ status: Int32, operation: String, message: String? = nil)
        -> SecretStoreError
    {
        let detail = message.map { "\(operation): \($0) (OSStatus \(status))" }
            ?? "\(operation): OSStatus \(status)"
        switch status {
        case interactionNotAllowed:
            return .Unavailable(reason: "the Keychain is locked until the device is first unlocked; \(detail)")
        case notAvailable, missingEntitlement:
            return .Unavailable(reason: "the Keychain is not available; \(detail)")
        default:
            return .Failed(reason: detail)
        }
    }
}
