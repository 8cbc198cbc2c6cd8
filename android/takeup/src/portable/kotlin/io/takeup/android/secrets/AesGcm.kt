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
}

class AesGcm(private val keys: KeySource) : Aead {
    override fun seal(plaintext: ByteArray, aad: ByteArray): Sealed {
        val key = keys.key(create = true) ?: throw IllegalStateException("no key could be created")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            // No IV given: the provider picks a random one (the Keystore refuses caller IVs).
            cipher.init(Cipher.ENCRYPT_MODE, key)
        } catch (e: InvalidKeyException) {
            // Android: KeyPermanentlyInvalidatedException is an InvalidKeyException.
            throw CryptoFailure.KeyLost("key unusable: ${e.javaClass.simpleName}", e)
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
            throw CryptoFailure.KeyLost("key unrecoverable", e)
        } ?: throw CryptoFailure.KeyLost("no key")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, sealed.iv))
        } catch (e: InvalidKeyException) {
            throw CryptoFailure.KeyLost("key unusable: ${e.javaClass.simpleName}", e)
        }
        cipher.updateAAD(aad)
        return try {
            cipher.doFinal(sealed.ciphertext)
        } catch (e: AEADBadTagException) {
            throw CryptoFailure.Corrupt("authentication failed", e)
        }
    }

    override fun resetKey() = keys.delete()

    companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BITS = 128
    }
}
