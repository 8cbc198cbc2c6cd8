// The secret store's encryption envelope, written against small interfaces so it runs (and is
// tested) on a plain JVM: the Android build plugs in an Android Keystore key and private
// SharedPreferences (KeystoreSecretStore), the JVM tests a software AES key and a map.
package io.takeup.android.secrets

import java.security.GeneralSecurityException
import java.util.Base64

/** IV and ciphertext (with its GCM tag) of one sealed value. */
class Sealed(val iv: ByteArray, val ciphertext: ByteArray)

/** Why a sealed value cannot be opened, and what that means for the stored entry. */
sealed class CryptoFailure(message: String, cause: Throwable? = null) : Exception(message, cause) {
    /** The entry is damaged or was sealed for another key name / key: it can never be opened. */
    class Corrupt(message: String, cause: Throwable? = null) : CryptoFailure(message, cause)

    /**
     * The key is gone or permanently unusable (wiped, invalidated, data restored to another
     * device): nothing sealed with it can be opened again.
     */
    class KeyLost(message: String, cause: Throwable? = null) : CryptoFailure(message, cause)
}

/**
 * Authenticated encryption under a key that never leaves its keystore. Implementations throw
 * [CryptoFailure] for permanent failures; any other exception is taken as "unavailable right now"
 * (the stored entry is kept).
 */
interface Aead {
    /** Seal with a fresh IV chosen by the cipher; creates the key on first use. */
    fun seal(plaintext: ByteArray, aad: ByteArray): Sealed

    /** Open a value sealed by [seal]. Never creates a key: a missing key is [CryptoFailure.KeyLost]. */
    fun open(sealed: Sealed, aad: ByteArray): ByteArray

    /** Forget the key (after [CryptoFailure.KeyLost]); the next [seal] creates a new one. */
    fun resetKey()
}

/**
 * Where sealed entries live (Android: private SharedPreferences). What it holds is ciphertext, but
 * it must still be app-private and excluded from backups (the key cannot follow a backup).
 */
interface EntryStorage {
    fun read(name: String): String?

    /** Durable before returning (Android: `commit()`, not `apply()`). */
    fun write(name: String, value: String)

    fun remove(name: String)
}

/** The text form of a sealed entry: `v1.<base64 iv>.<base64 ciphertext+tag>`. */
object Envelope {
    const val VERSION = "v1"
    private val b64e = Base64.getEncoder().withoutPadding()
    private val b64d = Base64.getDecoder()

    fun encode(sealed: Sealed): String =
        "$VERSION.${b64e.encodeToString(sealed.iv)}.${b64e.encodeToString(sealed.ciphertext)}"

    /** The sealed value, or null when [text] is not a well-formed v1 envelope. */
    fun decode(text: String): Sealed? {
        val parts = text.split('.')
        if (parts.size != 3 || parts[0] != VERSION) return null
        return try {
            val iv = b64d.decode(parts[1])
            val ct = b64d.decode(parts[2])
            // GCM: 12-byte IV from the keystore, at least the 16-byte tag.
            if (iv.size < 12 || ct.size < 16) null else Sealed(iv, ct)
        } catch (_: IllegalArgumentException) {
            null
        }
    }

    /**
     * Associated data: binds a ciphertext to its key name, so an entry copied under another name
     * (or another version of the format) fails authentication instead of being read.
     */
    fun aad(key: String): ByteArray = "takeup-secret/$VERSION/$key".toByteArray(Charsets.UTF_8)

    /** The storage entry name of a secret key (key names are not secret: `c2c-tokens.<client id>`). */
    fun entryName(key: String): String = "secret.$key"
}

/** Failures mapped onto the bindings' error type by [EnvelopeSecretStore]. */
internal fun GeneralSecurityException.safeReason(): String =
    // Class name only: a provider's message could in theory echo input.
    javaClass.simpleName
