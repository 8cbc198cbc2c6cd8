package io.takeup.android.secrets

import io.takeup.core.SecretStore
import io.takeup.core.SecretStoreException

/**
 * The engine's [SecretStore] over an [Aead] and an [EntryStorage]: each value is sealed under the
 * keystore key with its key name as associated data and stored as an [Envelope] text.
 *
 * - `get`: absent → null. An entry that can never be opened (damaged, sealed under a lost or
 *   invalidated key — e.g. app data restored onto another device) is removed and reported absent:
 *   the engine then shows "not authorized" and the user pairs again, instead of a storage error
 *   on every start. Any other failure is `Unavailable` and the entry is kept.
 * - `set`: seal + durable write; failures are `Failed` (`Unavailable` when no key can be used).
 * - Values never reach [log] or an exception message; key names may (they are not secret).
 * - Thread-safe (the engine calls from its own threads); every call is one small crypto operation
 *   and one preferences access.
 */
class EnvelopeSecretStore(
    private val aead: Aead,
    private val storage: EntryStorage,
    private val log: (String) -> Unit = {},
) : SecretStore {
    private val lock = Any()

    override fun get(key: String): String? = synchronized(lock) {
        val name = Envelope.entryName(key)
        val text = try {
            storage.read(name)
        } catch (e: Exception) {
            throw SecretStoreException.Unavailable("cannot read secure storage: ${e.javaClass.simpleName}")
        } ?: return null
        val sealed = Envelope.decode(text)
        if (sealed == null) {
            discard(name, key, "malformed entry")
            return null
        }
        try {
            String(aead.open(sealed, Envelope.aad(key)), Charsets.UTF_8)
        } catch (e: CryptoFailure.Corrupt) {
            discard(name, key, "entry failed authentication")
            null
        } catch (e: CryptoFailure.KeyLost) {
            discard(name, key, "keystore key lost (${e.message})")
            runCatching { aead.resetKey() }
            null
        } catch (e: Exception) {
            throw SecretStoreException.Unavailable("keystore unavailable: ${e.javaClass.simpleName}")
        }
    }

    override fun set(key: String, value: String) = synchronized(lock) {
        val sealed = try {
            aead.seal(value.toByteArray(Charsets.UTF_8), Envelope.aad(key))
        } catch (e: CryptoFailure.KeyLost) {
            // Start over with a new key once; entries sealed under the old one are unreadable anyway.
            log("secret store: keystore key lost while storing '$key'; creating a new key")
            try {
                aead.resetKey()
                aead.seal(value.toByteArray(Charsets.UTF_8), Envelope.aad(key))
            } catch (e2: Exception) {
                throw SecretStoreException.Unavailable("keystore unavailable: ${e2.javaClass.simpleName}")
            }
        } catch (e: Exception) {
            throw SecretStoreException.Unavailable("keystore unavailable: ${e.javaClass.simpleName}")
        }
        try {
            storage.write(Envelope.entryName(key), Envelope.encode(sealed))
        } catch (e: Exception) {
            throw SecretStoreException.Failed("cannot write secure storage: ${e.javaClass.simpleName}")
        }
    }

    override fun delete(key: String) = synchronized(lock) {
        try {
            storage.remove(Envelope.entryName(key))
        } catch (e: Exception) {
            throw SecretStoreException.Failed("cannot write secure storage: ${e.javaClass.simpleName}")
        }
    }

    private fun discard(name: String, key: String, why: String) {
        log("secret store: discarding unreadable entry for '$key': $why")
        runCatching { storage.remove(name) }
    }
}
