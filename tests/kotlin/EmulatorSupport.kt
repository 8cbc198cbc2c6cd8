// What the binding suites share (TakeupBindingsTest, TransferLeaseTest): the run's settings from
// scripts/test-kotlin.sh, an in-memory secret store, and trust in the emulator's test CA.
package io.takeup.core.test

import io.takeup.core.SecretStore
import java.io.File
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/** A TAKEUP_TEST_* variable scripts/test-kotlin.sh sets. */
internal fun env(name: String): String =
    System.getenv(name) ?: error("$name is not set: run through scripts/test-kotlin.sh")

/** The app's secure storage, in memory: records what the engine stores. */
internal class MemorySecretStore : SecretStore {
    val map = ConcurrentHashMap<String, String>()
    val sets = AtomicInteger()
    override fun get(key: String): String? = map[key]
    override fun set(key: String, value: String) {
        sets.incrementAndGet()
        map[key] = value
    }
    override fun delete(key: String) {
        map.remove(key)
    }
}

/** TLS trusting only the emulator's test CA (its API and its S3 stand-in). */
internal fun emulatorSslContext(): SSLContext {
    val certs = File(env("TAKEUP_TEST_CA_PEM_FILE")).inputStream().use {
        CertificateFactory.getInstance("X.509").generateCertificates(it)
    }
    val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null) }
    certs.forEachIndexed { i, c -> ks.setCertificateEntry("ca$i", c) }
    val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
    tmf.init(ks)
    return SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
}
