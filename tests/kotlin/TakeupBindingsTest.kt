// JUnit 4 tests of the generated Kotlin bindings (package io.takeup.core), run on the JVM against
// the host-built libtakeup_ffi.so through JNA. See tests/kotlin/README.md.
package io.takeup.core.test

import io.takeup.core.FfiException
import io.takeup.core.Notifier
import io.takeup.core.StatusListener
import io.takeup.core.pingAfter
import io.takeup.core.takeupVersion
import io.takeup.core.validateClientVersion
import java.util.concurrent.CopyOnWriteArrayList
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** Records every status it receives. */
private class RecordingListener : StatusListener {
    val received = CopyOnWriteArrayList<String>()

    override fun onStatus(status: String) {
        received.add(status)
    }
}

class TakeupBindingsTest {
    @Test
    fun versionIsTheCrateVersion() {
        val expected = System.getProperty("takeup.expectedVersion")
            ?: error("run with -Dtakeup.expectedVersion=<takeup-ffi crate version>")
        assertEquals(expected, takeupVersion())
        // The library accepts its own version as a client version.
        validateClientVersion(takeupVersion())
    }

    @Test
    fun pingAfterSuspendsForTheDelay() = runBlocking {
        val start = System.nanoTime()
        assertEquals("pong after 150 ms", pingAfter(150UL))
        val elapsedMs = (System.nanoTime() - start) / 1_000_000
        assertTrue("returned after $elapsedMs ms, expected >= 150", elapsedMs >= 150)
    }

    @Test
    fun pingAfterCallsRunConcurrently() = runBlocking {
        // 8 x 400 ms in sequence would take 3.2 s; on tokio they overlap even though runBlocking
        // has a single thread, because the calls suspend rather than block.
        val start = System.nanoTime()
        val results = (1..8).map { async { pingAfter(400UL) } }.awaitAll()
        val elapsedMs = (System.nanoTime() - start) / 1_000_000
        assertEquals(List(8) { "pong after 400 ms" }, results)
        assertTrue("8 concurrent calls took $elapsedMs ms, expected < 2000", elapsedMs < 2000)
    }

    @Test
    fun wellFormedClientVersionsAreAccepted() {
        validateClientVersion("0.1.0")
        validateClientVersion(" 2.3.4-beta.1+build.7 ")
    }

    @Test
    fun malformedClientVersionThrowsInvalidVersion() {
        try {
            validateClientVersion("1.2")
            fail("expected FfiException.InvalidVersion")
        } catch (e: FfiException.InvalidVersion) {
            assertEquals("1.2", e.version)
            assertTrue("reason should explain the error: '${e.reason}'", e.reason.isNotBlank())
        }
    }

    @Test
    fun oldClientVersionThrowsUnsupportedVersion() {
        val e: FfiException = try {
            validateClientVersion("0.0.9")
            fail("expected an FfiException")
            return
        } catch (e: FfiException) {
            e
        }
        when (e) {
            is FfiException.UnsupportedVersion -> {
                assertEquals("0.0.9", e.version)
                assertEquals("0.1.0", e.minimum)
            }
            else -> fail("expected UnsupportedVersion, got $e")
        }
    }

    @Test
    fun listenerReceivesUntilCancelled() {
        Notifier().use { notifier ->
            val listener = RecordingListener()
            val subscription = notifier.subscribe(listener)
            assertTrue(subscription.isActive())
            assertEquals(1U, notifier.listenerCount())

            assertEquals(1U, notifier.publish("uploading"))
            assertEquals(1U, notifier.publish("done"))
            assertEquals(listOf("uploading", "done"), listener.received.toList())

            subscription.cancel()
            subscription.cancel() // idempotent
            assertFalse(subscription.isActive())
            assertEquals(0U, notifier.listenerCount())
            assertEquals(0U, notifier.publish("after cancel"))
            assertEquals(listOf("uploading", "done"), listener.received.toList())
            subscription.close()
        }
    }

    @Test
    fun closingTheSubscriptionUnsubscribes() {
        Notifier().use { notifier ->
            val kept = RecordingListener()
            val closed = RecordingListener()
            val keptSubscription = notifier.subscribe(kept)
            notifier.subscribe(closed).use { assertEquals(2U, notifier.publish("both")) }
            // close() released the Rust object: its Drop cancelled the subscription.
            assertEquals(1U, notifier.listenerCount())
            assertEquals(1U, notifier.publish("one"))
            assertEquals(listOf("both", "one"), kept.received.toList())
            assertEquals(listOf("both"), closed.received.toList())
            keptSubscription.close()
            assertEquals(0U, notifier.listenerCount())
        }
    }

    @Test
    fun listenerMayCancelItsOwnSubscriptionWhileCalled() {
        Notifier().use { notifier ->
            val received = CopyOnWriteArrayList<String>()
            lateinit var subscription: io.takeup.core.Subscription
            subscription = notifier.subscribe(object : StatusListener {
                override fun onStatus(status: String) {
                    received.add(status)
                    subscription.cancel()
                }
            })
            assertEquals(1U, notifier.publish("first"))
            assertEquals(0U, notifier.publish("second"))
            assertEquals(listOf("first"), received.toList())
            subscription.close()
        }
    }
}
