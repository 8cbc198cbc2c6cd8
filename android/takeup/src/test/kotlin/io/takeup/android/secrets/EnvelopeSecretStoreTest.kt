package io.takeup.android.secrets

import io.takeup.core.SecretStoreException
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** A software AES key standing in for the Android Keystore key. */
private class SoftwareKeys : KeySource {
    var key: SecretKey? = null
    var deletes = 0
    var failNext: Exception? = null
    /** A key the cipher refuses (InvalidKeyException), as a keystore key that cannot be used. */
    var unusable = false
    /** Whether the refusal is the Android Keystore's "permanently invalidated". */
    var permanentlyInvalidated = false

    override fun key(create: Boolean): SecretKey? {
        failNext?.let { failNext = null; throw it }
        if (unusable) return javax.crypto.spec.SecretKeySpec(ByteArray(5), "AES")
        key?.let { return it }
        if (!create) return null
        return KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { key = it }
    }

    override fun delete() {
        deletes++
        key = null
        unusable = false
    }

    override fun isPermanentlyInvalidated(e: java.security.InvalidKeyException): Boolean = permanentlyInvalidated
}

private class MapStorage : EntryStorage {
    val map = ConcurrentHashMap<String, String>()
    var failWrites = false
    override fun read(name: String): String? = map[name]
    override fun write(name: String, value: String) {
        if (failWrites) throw java.io.IOException("disk full")
        map[name] = value
    }
    override fun remove(name: String) {
        map.remove(name)
    }
}

class EnvelopeSecretStoreTest {
    private val token = """{"access_token":"at-SECRET-123","refresh_token":"rt-SECRET-456"}"""
    private val keys = SoftwareKeys()
    private val storage = MapStorage()
    private val logs = CopyOnWriteArrayList<String>()
    private val store = EnvelopeSecretStore(AesGcm(keys), storage) { logs.add(it) }

    @Test
    fun roundTripStoresOnlyCiphertext() {
        assertNull(store.get("c2c-tokens.abc"))
        store.set("c2c-tokens.abc", token)
        assertEquals(token, store.get("c2c-tokens.abc"))
        val stored = storage.map.getValue(Envelope.entryName("c2c-tokens.abc"))
        assertTrue(stored.startsWith("v1."))
        assertFalse(stored.contains("SECRET"))
        assertFalse(stored.contains("access_token"))
        store.delete("c2c-tokens.abc")
        assertNull(store.get("c2c-tokens.abc"))
        store.delete("c2c-tokens.abc") // absent: not an error
    }

    @Test
    fun everySealUsesAFreshIv() {
        store.set("k", token)
        val a = Envelope.decode(storage.map.getValue("secret.k"))!!
        store.set("k", token)
        val b = Envelope.decode(storage.map.getValue("secret.k"))!!
        assertEquals(12, a.iv.size)
        assertFalse(a.iv.contentEquals(b.iv))
        assertNotEquals(storage.map["secret.k"], Envelope.encode(a))
    }

    @Test
    fun anEntryCopiedUnderAnotherNameIsRejectedAndDropped() {
        store.set("c2c-tokens.a", token)
        storage.map["secret.c2c-tokens.b"] = storage.map.getValue("secret.c2c-tokens.a")
        assertNull(store.get("c2c-tokens.b"))
        assertFalse(storage.map.containsKey("secret.c2c-tokens.b"))
        assertEquals(token, store.get("c2c-tokens.a"))
    }

    @Test
    fun tamperedOrMalformedEntriesReadAsAbsent() {
        store.set("k", token)
        val sealed = Envelope.decode(storage.map.getValue("secret.k"))!!
        sealed.ciphertext[3] = (sealed.ciphertext[3].toInt() xor 1).toByte()
        storage.map["secret.k"] = Envelope.encode(sealed)
        assertNull(store.get("k"))
        assertFalse(storage.map.containsKey("secret.k"))
        for (bad in listOf("", "v1", "v2.AAAA.AAAA", "v1.!!.??", "v1.AAAA.AAAA", "plain text")) {
            storage.map["secret.k"] = bad
            assertNull("'$bad'", store.get("k"))
        }
    }

    @Test
    fun aLostKeyDropsTheEntryAndANewKeyIsMade() {
        store.set("k", token)
        keys.key = null // wiped, or data restored onto another device
        assertNull(store.get("k"))
        assertFalse(storage.map.containsKey("secret.k"))
        assertEquals(1, keys.deletes)
        store.set("k", token)
        assertEquals(token, store.get("k"))
    }

    /** `get("k")` throws Unavailable (its message carries no secret); the stored entry stays. */
    private fun assertGetIsUnavailableAndKeepsTheEntry() {
        try {
            store.get("k")
            fail("expected Unavailable")
        } catch (e: SecretStoreException.Unavailable) {
            assertFalse(e.message.orEmpty().contains("SECRET"))
        }
        assertTrue(storage.map.containsKey("secret.k"))
    }

    @Test
    fun onlyAPermanentlyInvalidatedKeyDropsTheTokens() {
        store.set("k", token)
        // Any other InvalidKeyException: unavailable now, the key and the entry are kept.
        keys.unusable = true
        assertGetIsUnavailableAndKeepsTheEntry()
        assertEquals(0, keys.deletes)
        keys.unusable = false
        assertEquals(token, store.get("k"))
        // Permanently invalidated (the lock screen was removed): key and tokens go.
        keys.unusable = true
        keys.permanentlyInvalidated = true
        assertNull(store.get("k"))
        assertFalse(storage.map.containsKey("secret.k"))
        assertEquals(1, keys.deletes)
    }

    @Test
    fun aTransientKeystoreFailureIsUnavailableAndKeepsTheEntry() {
        store.set("k", token)
        keys.failNext = java.security.ProviderException("keystore busy")
        assertGetIsUnavailableAndKeepsTheEntry()
        assertEquals(token, store.get("k"))
    }

    @Test
    fun writeFailuresAreTypedAndCarryNoValue() {
        storage.failWrites = true
        try {
            store.set("k", token)
            fail("expected Failed")
        } catch (e: SecretStoreException.Failed) {
            assertFalse(e.message.orEmpty().contains("SECRET"))
        }
    }

    @Test
    fun logsNeverContainValues() {
        store.set("k", token)
        keys.key = null
        store.get("k")
        store.set("k", token)
        storage.map["secret.k"] = "garbage"
        store.get("k")
        assertTrue(logs.isNotEmpty())
        for (line in logs) assertFalse(line, line.contains("SECRET"))
    }

    @Test
    fun concurrentUseIsSafe() {
        val threads = (0 until 8).map { i ->
            Thread {
                repeat(50) { n ->
                    store.set("k$i", "$token-$n")
                    assertEquals("$token-$n", store.get("k$i"))
                }
            }
        }
        threads.forEach { it.start() }
        threads.forEach { it.join() }
        assertEquals(8, storage.map.size)
    }
}
