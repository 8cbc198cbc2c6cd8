// AES-256-GCM through JCA, the same code on Android (key from the AndroidKeyStore provider,
// randomized IVs enforced by the key) and on a JVM (software key, for tests).
package io.takeup.android.secrets

import java.security.InvalidKeyException
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** Supplies the AES key. On Android: the non-exportable Keystore key under a fixed alias. */
interface KeySource {
    /** The key; null when absent and [create] is false. */
    fun key(create: Boolean): SecretKey?

    /** Delete the key. */
    fun delete()

    /**
     * Whether the key can never be used again (Android: `KeyPermanentlyInvalidatedException`,
     * e.g. the lock screen was removed). Only then is the key deleted and what it sealed dropped;
     * any other `InvalidKeyException` (a keystore hiccup, a key not yet usable) is transient and
     * keeps the entry.
     */
    fun isPermanentlyInvalidated(e: InvalidKeyException): Boolean = false
}

class AesGcm(private val keys: KeySource) : Aead {
    override fun seal(plaintext: ByteArray, aad: ByteArray): Sealed {
        val key = keys.key(create = true) ?: throw IllegalStateException("no key could be created")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            // No IV given: the provider picks a random one (the Keystore refuses caller IVs).
            cipher.init(Cipher.ENCRYPT_MODE, key)
        } catch (e: InvalidKeyException) {
            throw keyFailure(e)
        }
        cipher.updateAAD(aad)
        val ct = cipher.doFinal(plaintext)
        val iv = cipher.iv ?: throw IllegalStateException("cipher produced no IV")
        return Sealed(iv, ct)
    }

    override fun open(sealed: Sealed, aad: ByteArray): ByteArray {
        val key = try {
            keys.key(create = false)
        } catch (e: UnrecoverableKeyException) {
            // Not proof that the key is gone (a keystore that cannot read it now): transient.
            throw IllegalStateException("key unreadable now: ${e.javaClass.simpleName}", e)
        } ?: throw CryptoFailure.KeyLost("no key")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, sealed.iv))
        } catch (e: InvalidKeyException) {
            throw keyFailure(e)
        }
        cipher.updateAAD(aad)
        return try {
            cipher.doFinal(sealed.ciphertext)
        } catch (e: AEADBadTagException) {
            throw CryptoFailure.Corrupt("authentication failed", e)
        }
    }

    override fun resetKey() = keys.delete()

    /** A permanently invalidated key is lost; any other key failure is transient (rethrown). */
    private fun keyFailure(e: InvalidKeyException): Exception =
        if (keys.isPermanentlyInvalidated(e)) {
            CryptoFailure.KeyLost("key permanently invalidated", e)
        } else {
            e
        }

    companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BITS = 128
    }
}
