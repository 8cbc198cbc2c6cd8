// The engine's part leases driven from Kotlin on the JVM: the Android module's LeaseExecutor with
// java.net.http.HttpClient as the sender (trusting the emulator's test CA), against the
// emulator, with the engine closed and started again on the same state directory mid-file while
// parts are in flight. Run by scripts/test-kotlin.sh.
package io.takeup.core.test

import io.takeup.android.work.LeaseExecutor
import io.takeup.android.work.PartSender
import io.takeup.android.work.TransferOutcome
import io.takeup.android.work.TransferReports
import io.takeup.android.work.sliceStream
import io.takeup.core.EngineConfig
import io.takeup.core.PairingListener
import io.takeup.core.QueueTuning
import io.takeup.core.TakeupEngine
import io.takeup.core.startEngine
import io.takeup.core.types.EnqueueOptions
import io.takeup.core.types.Enqueued
import io.takeup.core.types.NetworkErrorKind
import io.takeup.core.types.PairingProgress
import io.takeup.core.types.TransferAck
import io.takeup.core.types.TransferError
import java.io.File
import java.io.IOException
import java.net.ConnectException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.MessageDigest
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import javax.net.ssl.SSLHandshakeException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.await
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

private const val MIB = 1024 * 1024

/** An HttpClient trusting only the emulator's test CA (its API and its S3 stand-in). */
private fun emulatorClient(): HttpClient =
    // S3 (and the stand-in) speak HTTP/1.1.
    HttpClient.newBuilder().sslContext(emulatorSslContext()).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build()

/** The test's sender: java.net.http.HttpClient, the body streamed from the file range. */
private class HttpClientSender(private val client: HttpClient) : PartSender {
    val sends = CopyOnWriteArrayList<Int>()

    override suspend fun send(transfer: io.takeup.core.types.PartTransfer): TransferOutcome {
        val b = HttpRequest.newBuilder(URI(transfer.url)).timeout(Duration.ofSeconds(60))
        for ((k, v) in TransferReports.requestHeaders(transfer)) b.header(k, v)
        val body = HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream { sliceStream(transfer) },
            transfer.length.toLong(),
        )
        b.method(transfer.method, body)
        sends.add(transfer.partNumber.toInt())
        return try {
            val r = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).await()
            TransferReports.forStatus(
                r.statusCode(), r.headers().firstValue("ETag").orElse(null), r.body(),
                r.headers().firstValue("Retry-After").orElse(null),
            )
        } catch (e: java.net.http.HttpTimeoutException) {
            TransferOutcome.Failed(TransferError.Network(NetworkErrorKind.TIMEOUT))
        } catch (e: IOException) {
            TransferOutcome.Failed(TransferReports.forException(e))
        }
    }
}

private fun leaseConfig(stateDir: File) = EngineConfig(
    stateDir = stateDir.absolutePath,
    apiBase = env("TAKEUP_TEST_API_BASE"),
    clientSecret = env("TAKEUP_TEST_CLIENT_SECRET"),
    clientVersion = "1.2.3",
    extraRootCaPem = File(env("TAKEUP_TEST_CA_PEM_FILE")).readText(),
    uploadHosts = listOf(env("TAKEUP_TEST_UPLOAD_HOST")),
    queue = QueueTuning(
        maxFiles = 1u, partSize = (5 * MIB).toULong(), backoffMax = Duration.ZERO, adaptive = false,
        engineTransfers = false,
    ),
    appSignIn = null,
)

class TransferLeaseTest {
    private val control = emulatorClient()
    private val base = env("TAKEUP_TEST_API_BASE")

    private fun get(path: String): String =
        control.send(HttpRequest.newBuilder(URI("$base$path")).GET().build(), HttpResponse.BodyHandlers.ofString())
            .also { check(it.statusCode() == 200) { "$path: ${it.statusCode()}" } }.body()

    private fun approve(code: String) {
        val r = control.send(
            HttpRequest.newBuilder(URI("$base/_emulator/approve")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"user_code\":\"$code\"}")).build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        check(r.statusCode() in 200..299) { "approve: ${r.statusCode()} ${r.body()}" }
    }

    private suspend fun pair(engine: TakeupEngine) = kotlinx.coroutines.coroutineScope {
        val code = kotlinx.coroutines.CompletableDeferred<String>()
        val pairing = async {
            engine.pair(object : PairingListener {
                override fun onProgress(progress: PairingProgress) {
                    progress.code?.let { code.complete(it.userCode) }
                }
            })
        }
        approve(withTimeout(20_000) { code.await() })
        withTimeout(30_000) { pairing.await() }
    }

    @Test
    fun httpClientLeaseExecutorSurvivesAnEngineRestartMidFile() = runBlocking(Dispatchers.Default) {
        val dir = Files.createTempDirectory("takeup-lease-").toFile()
        try {
            val state = File(dir, "state")
            val store = MemorySecretStore()
            // A name of its own: the emulator may hold clips of earlier runs.
            val clip = File(dir, "A008_C002_${java.util.UUID.randomUUID().toString().take(8)}.mov")
            val size = 8 * 5 * MIB + 999 // 9 parts of 5 MiB
            val digest = MessageDigest.getInstance("SHA-256")
            clip.outputStream().buffered().use { out ->
                val block = ByteArray(MIB) { i -> ((i * 31) xor (i ushr 9)).toByte() }
                var written = 0
                var n = 5
                while (written < size) {
                    val len = minOf(MIB, size - written)
                    block[0] = n.toByte()
                    block[len - 1] = (n + 1).toByte()
                    out.write(block, 0, len)
                    digest.update(block, 0, len)
                    written += len
                    n += 7
                }
            }
            val sha = digest.digest().joinToString("") { "%02x".format(it) }

            val first = startEngine(leaseConfig(state), store)
            pair(first)
            assertTrue(first.enqueue(clip.absolutePath, EnqueueOptions()) is Enqueued.Added)

            val sender = HttpClientSender(emulatorClient())
            val executor = LeaseExecutor(sender, parallel = 3, leaseWait = Duration.ofSeconds(10))
            val reports = CopyOnWriteArrayList<Pair<String, TransferAck?>>()
            executor.onReport = { id, _, ack -> reports.add(id to ack) }
            assertEquals(0uL, executor.attach(first))

            // Mid-file, with parts in flight: the engine is closed (the process restarts).
            val applied = { reports.count { it.second == TransferAck.APPLIED } }
            var inFlightAtRestart = 0
            val run = launch { executor.run() }
            withTimeout(60_000) { while (applied() < 3) delay(20) }
            inFlightAtRestart = executor.inFlight.size
            executor.detach()
            first.close()
            run.join() // sends in flight end; their outcomes are kept for the next engine

            val second = startEngine(leaseConfig(state), store)
            second.use {
                assertTrue(second.isPaired())
                executor.attach(second)
                withTimeout(120_000) {
                    while (second.queueStatus().totals.done != 1uL) {
                        executor.run()
                        delay(50)
                    }
                }
                assertTrue(second.queueStatus().failed.isEmpty())
                // Every report taken (null: kept while the engine restarted, then taken).
                val final = reports.filter { it.second != null }
                assertTrue("$reports", final.all { it.second == TransferAck.APPLIED })
                assertEquals("one applied report per part", 9, final.size)
                assertEquals("each part sent once", 9, sender.sends.size)

                // The emulator: the same bytes, each part stored once (plus at most the parts in
                // flight at the restart).
                val ids = Regex("\"id\":\"([0-9a-f-]{36})\"").findAll(get("/_emulator/assets"))
                    .map { it.groupValues[1] }.toSet()
                val asset = ids.map { get("/_emulator/assets/$it") }
                    .single { it.contains("\"name\":\"${clip.name}\"") && it.contains("\"complete\":true") }
                assertTrue(asset, asset.contains("\"sha256\":\"$sha\""))
                val counts = Regex("\"received_count\":(\\d+)").findAll(asset).map { it.groupValues[1].toInt() }.toList()
                assertEquals(asset, 9, counts.size)
                assertTrue(asset, counts.all { it >= 1 })
                assertTrue(asset, counts.sum() - counts.size <= inFlightAtRestart)
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun answersAndExceptionsMapToLeaseReports() {
        assertEquals(TransferOutcome.Stored("\"e\""), TransferReports.forStatus(200, "\"e\"", "", null))
        assertEquals(
            TransferOutcome.Failed(TransferError.Http(503u, "<Error/>", Duration.ofSeconds(4))),
            TransferReports.forStatus(503, null, "<Error/>", "4"),
        )
        val long = "x".repeat(10_000)
        val cut = TransferReports.forStatus(500, null, long, null) as TransferOutcome.Failed
        assertEquals(TransferReports.MAX_BODY, (cut.error as TransferError.Http).body.length)
        assertEquals(TransferError.Network(NetworkErrorKind.CONNECT), TransferReports.forException(ConnectException()))
        assertEquals(TransferError.Network(NetworkErrorKind.TLS), TransferReports.forException(SSLHandshakeException("x")))
        assertEquals(
            TransferError.Network(NetworkErrorKind.TLS),
            TransferReports.forException(IOException("wrapped", SSLHandshakeException("x"))),
        )
        assertEquals(TransferError.Network(NetworkErrorKind.INTERRUPTED), TransferReports.forException(IOException("reset")))
        assertFalse(TransferReports.requestHeaders(
            io.takeup.core.types.PartTransfer(
                "l", 1, 1u, "PUT", "https://x/", listOf(io.takeup.core.types.TransferHeader("Content-Length", "5")),
                "/tmp/x", 0uL, 5uL, "m", 0,
            ),
        ).any { it.first == "Content-Length" })
    }
}
