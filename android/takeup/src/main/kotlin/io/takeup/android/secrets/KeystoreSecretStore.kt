package io.takeup.android.secrets

import android.content.Context
import android.content.SharedPreferences
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Log
import io.takeup.core.SecretStore
import java.io.IOException
import java.security.InvalidKeyException
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * The engine's token store on Android: an AES-256-GCM key generated inside the Android Keystore
 * (non-exportable, no user authentication so background uploads can refresh tokens while the
 * device is locked), and the sealed values ([Envelope]: IV + ciphertext) in private
 * SharedPreferences `io.takeup.secrets`. The app excludes that file from backups and device
 * transfer (app/src/main/res/xml/), since the key cannot follow it. Values are never logged.
 * The logic lives in [EnvelopeSecretStore] (JVM-tested); this file only binds it to Android.
 */
object KeystoreSecretStore {
    const val KEY_ALIAS = "io.takeup.secrets.aes-gcm.v1"
    const val PREFS_NAME = "io.takeup.secrets"
    private const val TAG = "takeup"

    fun create(context: Context): SecretStore {
        val prefs = context.applicationContext.getSharedPreferences(PREFS_NAME, Context.MODE_PRIVATE)
        return EnvelopeSecretStore(
            aead = AesGcm(AndroidKeystoreKeySource(KEY_ALIAS)),
            storage = SharedPreferencesStorage(prefs),
            log = { Log.w(TAG, it) },
        )
    }
}

/** The Keystore key under [alias], created on first use; cached in memory (the key is a handle). */
internal class AndroidKeystoreKeySource(private val alias: String) : KeySource {
    @Volatile
    private var cached: SecretKey? = null

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    @Synchronized
    override fun key(create: Boolean): SecretKey? {
        cached?.let { return it }
        val existing = keyStore().getKey(alias, null) as? SecretKey
        if (existing != null) {
            cached = existing
            return existing
        }
        if (!create) return null
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .setRandomizedEncryptionRequired(true)
                .build(),
        )
        return generator.generateKey().also { cached = it }
    }

    @Synchronized
    override fun delete() {
        cached = null
        keyStore().deleteEntry(alias)
    }

    override fun isPermanentlyInvalidated(e: InvalidKeyException): Boolean =
        e is KeyPermanentlyInvalidatedException

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
    }
}

/** Sealed entries in private SharedPreferences, written with `commit()` (durable on return). */
internal class SharedPreferencesStorage(private val prefs: SharedPreferences) : EntryStorage {
    override fun read(name: String): String? = prefs.getString(name, null)

    override fun write(name: String, value: String) {
        if (!prefs.edit().putString(name, value).commit()) throw IOException("commit failed")
    }

    override fun remove(name: String) {
        if (!prefs.edit().remove(name).commit()) throw IOException("commit failed")
    }
}
