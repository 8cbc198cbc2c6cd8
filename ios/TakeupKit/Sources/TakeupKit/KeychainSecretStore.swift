// The engine's SecretStore on the iOS Keychain. Apple only (Security framework); the mapping of
// Keychain errors (KeychainStatus.swift) is plain Swift and tested on Linux.
#if canImport(Security)
import Foundation
import Security
import Takeup

/// Generic passwords in the Keychain: class `kSecClassGenericPassword`, service
/// `io.takeup.tokens`, account = the engine's key (`c2c-tokens.<client id>`), value = UTF-8.
///
/// Items are `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: readable while the device is
/// locked once it has been unlocked after boot (background uploads refresh tokens then), never
/// restored to another device from a backup, and never synced to iCloud.
///
/// The engine calls it from its own threads: every call is serialised by a lock (the
/// update-then-add in `set` must not interleave). Nothing here logs, and errors carry only the
/// operation and OSStatus, never a key's value.
public final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    public static let defaultService = "io.takeup.tokens"

    public let service: String
    public let accessGroup: String?
    private let lock = NSLock()

    /// `accessGroup`: a Keychain access group shared with app extensions (needs the
    /// keychain-access-groups entitlement); nil keeps the app's default group.
    public init(service: String = KeychainSecretStore.defaultService, accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    public func get(key: String) throws -> String? {
        var query = itemQuery(key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = locked { SecItemCopyMatching(query as CFDictionary, &result) }
        switch status {
        case errSecSuccess:
            guard let data = result as? Data, let value = String(data: data, encoding: .utf8) else {
                throw KeychainStatus.error(KeychainStatus.decode, operation: "read",
                                           message: "the stored item is not UTF-8 text")
            }
            return value
        case errSecItemNotFound:
            return nil
        default:
            throw KeychainStatus.error(status, operation: "read", message: Self.message(status))
        }
    }

    public func set(key: String, value: String) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: Data(value.utf8),
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let status: OSStatus = locked {
            let query = itemQuery(key)
            let updated = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
            guard updated == errSecItemNotFound else { return updated }
            let add = query.merging(attributes) { _, new in new }
            return SecItemAdd(add as CFDictionary, nil)
        }
        guard status == errSecSuccess else {
            throw KeychainStatus.error(status, operation: "write", message: Self.message(status))
        }
    }

    public func delete(key: String) throws {
        let status = locked { SecItemDelete(itemQuery(key) as CFDictionary) }
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainStatus.error(status, operation: "delete", message: Self.message(status))
        }
    }

    // MARK: helpers

    private func itemQuery(_ key: String) -> [String: Any] {
        var q: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: key,
            // The data-protection keychain on macOS too (same semantics as iOS); no-op on iOS.
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup { q[kSecAttrAccessGroup as String] = accessGroup }
        return q
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Security's text for a status (describes the error, never the item).
    private static func message(_ status: OSStatus) -> String? {
        SecCopyErrorMessageString(status, nil) as String?
    }
}
#endif
