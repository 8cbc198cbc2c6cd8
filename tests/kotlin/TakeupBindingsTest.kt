// JUnit 4 tests of the generated Kotlin bindings (package io.takeup.core), run on the JVM against
// the host-built libtakeup_ffi.so through JNA and a real C2C emulator started by
// scripts/test-kotlin.sh (TAKEUP_TEST_* variables). See tests/kotlin/README.md.
package io.takeup.core.test

import io.takeup.core.AppSignIn
import io.takeup.core.EngineConfig
import io.takeup.core.ErrorAction
import io.takeup.core.PairingListener
import io.takeup.core.QueueTuning
import io.takeup.core.SecretStore
import io.takeup.core.SecretStoreException
import io.takeup.core.types.SignInMethod
import io.takeup.core.StatusListener
import io.takeup.core.TakeupEngine
import io.takeup.core.TakeupException
import io.takeup.core.UploadListener
import io.takeup.core.errorAction
import io.takeup.core.startEngine
import io.takeup.core.takeupVersion
import io.takeup.core.types.AccountList
import io.takeup.core.types.AssetKind
import io.takeup.core.types.ConnectionState
import io.takeup.core.types.ConnectionType
import io.takeup.core.types.EngineStatus
import io.takeup.core.types.EnqueueOptions
import io.takeup.core.types.Enqueued
import io.takeup.core.types.FileEntry
import io.takeup.core.types.PairingPhase
import io.takeup.core.types.PairingProgress
import io.takeup.core.types.NoteKind
import io.takeup.core.types.NoteState
import io.takeup.core.types.QueueStatus
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.MessageDigest
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

private class RecordingStatus : StatusListener {
    val received = CopyOnWriteArrayList<EngineStatus>()
    override fun onStatus(status: EngineStatus) {
        received.add(status)
    }
}

/** The emulator's control API over HTTPS, trusting only its test CA. */
private object Control {
    val base = env("TAKEUP_TEST_API_BASE")
    private val client: HttpClient by lazy {
        HttpClient.newBuilder().sslContext(emulatorSslContext()).build()
    }

    fun get(path: String): String = send(HttpRequest.newBuilder(URI("$base$path")).GET())

    fun post(path: String, json: String): String = send(
        HttpRequest.newBuilder(URI("$base$path"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
    )

    private fun send(b: HttpRequest.Builder): String {
        val r = client.send(b.build(), HttpResponse.BodyHandlers.ofString())
        check(r.statusCode() in 200..299) { "${r.request().uri()}: HTTP ${r.statusCode()} ${r.body()}" }
        return r.body()
    }

    /**
     * The browser step of a sign-in with a Frame.io account: the emulator approves the
     * authorization URL as the user would on its page, and answers where the browser is sent back
     * to (the app's redirect URI with `code` and `state`).
     */
    fun approveSignIn(authorizationUrl: String): String {
        val body = "{\"url\":\"" + authorizationUrl.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}"
        val answer = post("/_emulator/oauth/approve", body)
        return Regex("\"redirect\":\"([^\"]+)\"").find(answer)!!.groupValues[1].replace("\\u0026", "&")
    }

    /** The emulator's completed assets whose assembled bytes have this sha256 and name. */
    fun hasCompleteAsset(name: String, sha256: String): Boolean {
        val ids = Regex("\"id\":\"([0-9a-f-]{36})\"").findAll(get("/_emulator/assets"))
            .map { it.groupValues[1] }.toSet()
        return ids.any { id ->
            val one = get("/_emulator/assets/$id")
            one.contains("\"name\":\"$name\"") && one.contains("\"complete\":true") &&
                one.contains("\"sha256\":\"$sha256\"")
        }
    }
}

private const val REDIRECT_URI = "io.takeup.app:/oauth2redirect"

private fun config(stateDir: File, apiBase: String = env("TAKEUP_TEST_API_BASE")) = EngineConfig(
    stateDir = stateDir.absolutePath,
    apiBase = apiBase,
    clientSecret = env("TAKEUP_TEST_CLIENT_SECRET"),
    clientVersion = "1.2.3",
    extraRootCaPem = File(env("TAKEUP_TEST_CA_PEM_FILE")).readText(),
    uploadHosts = listOf(env("TAKEUP_TEST_UPLOAD_HOST")),
    queue = QueueTuning(maxFiles = 2u, growthIdle = java.time.Duration.ofSeconds(2)),
    appSignIn = AppSignIn(
        clientId = env("TAKEUP_TEST_APP_CLIENT_ID"),
        redirectUris = listOf(REDIRECT_URI),
        applicationsBase = env("TAKEUP_TEST_APPLICATIONS_BASE"),
        scope = null,
    ),
)

private fun tempDir(): File = Files.createTempDirectory("takeup-kotlin-").toFile()

private fun writeMedia(file: File, size: Int, seed: Int): String {
    val data = ByteArray(size) { i -> ((i * 31 + seed) xor (i ushr 9)).toByte() }
    file.writeBytes(data)
    return MessageDigest.getInstance("SHA-256").digest(data).joinToString("") { "%02x".format(it) }
}

class TakeupBindingsTest {
    @Test
    fun versionIsTheCrateVersion() {
        val expected = System.getProperty("takeup.expectedVersion")
            ?: error("run with -Dtakeup.expectedVersion=<takeup-ffi crate version>")
        assertEquals(expected, takeupVersion())
    }

    @Test
    fun httpApiBaseIsATypedInvalidConfigError() = runBlocking {
        val store = MemorySecretStore()
        try {
            startEngine(config(tempDir(), apiBase = "http://127.0.0.1:9"), store).close()
            fail("expected TakeupException.InvalidConfig")
        } catch (e: TakeupException.InvalidConfig) {
            assertTrue(e.userMessage, e.userMessage.contains("https"))
            assertEquals(ErrorAction.FIX_CONFIGURATION, errorAction(e))
        }
        assertTrue("nothing stored", store.map.isEmpty())
    }

    @Test
    fun pairIdentityUploadAndErrorsThroughTheEmulator() = runBlocking {
        val store = MemorySecretStore()
        val dir = tempDir()
        val engine: TakeupEngine = startEngine(config(File(dir, "state")), store)
        engine.use {
            // Status listener: the current status arrives during subscribe.
            val statuses = RecordingStatus()
            val statusSub = engine.subscribeStatus(statuses)
            assertEquals(ConnectionState.NotAuthorized, statuses.received.first().connection)
            assertFalse(engine.isPaired())

            // Pairing: the code reaches the listener; the test approves it as a user would.
            val codes = CopyOnWriteArrayList<PairingProgress>()
            val firstCode = CompletableDeferred<String>()
            val listener = object : PairingListener {
                override fun onProgress(progress: PairingProgress) {
                    codes.add(progress)
                    progress.code?.let { firstCode.complete(it.userCode) }
                }
            }
            val pairing = async(Dispatchers.IO) { engine.pair(listener) }
            val code = withTimeout(20_000) { firstCode.await() }
            val shown = codes.first { it.code != null }
            assertEquals(PairingPhase.WAITING_FOR_USER, shown.phase)
            assertTrue(
                "QR URL carries the code: ${shown.code?.verificationUriComplete}",
                shown.code?.verificationUriComplete?.contains(code) == true,
            )
            withContext(Dispatchers.IO) { Control.post("/_emulator/approve", """{"user_code":"$code"}""") }
            val identity = withTimeout(30_000) { pairing.await() }

            // Identity (from the device: a paired device may not read /v2/me) and tokens.
            assertEquals("Dana Reyes", identity.user.name)
            assertEquals("", identity.user.email)
            assertEquals("Testbed", identity.project?.name)
            assertEquals(SignInMethod.DEVICE_CODE, engine.signInMethod())
            assertTrue(engine.isPaired())
            // The cached identity is this one, or a later re-read of it (the device socket
            // re-reads the device once it joins, which may already have happened).
            val cached = engine.identity()!!
            assertFalse("${cached.fetchedAt} before ${identity.fetchedAt}", cached.fetchedAt.isBefore(identity.fetchedAt))
            assertEquals(identity, cached.copy(fetchedAt = identity.fetchedAt))
            assertTrue("tokens stored in the app's store: ${store.map.keys}",
                store.map.keys.any { it.startsWith("c2c-tokens.") } && store.sets.get() >= 1)
            // The listener is called from the subscription's own task, so Connected (set before
            // pair() returned) reaches it shortly after, never before: wait for it.
            val connected = withTimeoutOrNull(5_000) {
                while (statuses.received.last().connection !is ConnectionState.Connected) delay(20)
            }
            assertTrue("status listener sees Connected: ${statuses.received.last().connection}", connected != null)
            assertTrue("status listener saw the code",
                statuses.received.any { s ->
                    (s.connection as? ConnectionState.Pairing)?.progress?.code?.userCode == code
                })

            // The connection manager needs a sign-in with a Frame.io account.
            try {
                engine.listAccounts()
                fail("expected TakeupException.Rejected")
            } catch (e: TakeupException.Rejected) {
                assertEquals(ErrorAction.CHECK_ACCESS, errorAction(e))
            }

            // Uploads: a ~7 MiB clip and a small file, followed through the upload listener.
            val big = File(dir, "A001_C001.mov")
            val small = File(dir, "notes.txt")
            val bigSha = writeMedia(big, 7 * 1024 * 1024 + 123, 1)
            val smallSha = writeMedia(small, 4_000, 2)
            val done = CompletableDeferred<QueueStatus>()
            val failures = CopyOnWriteArrayList<FileEntry>()
            val updates = AtomicInteger()
            val uploadSub = engine.subscribeUploads(object : UploadListener {
                override fun onQueueStatus(status: QueueStatus) {
                    updates.incrementAndGet()
                    if (status.totals.done == 2UL && status.totals.filesRemaining == 0UL) done.complete(status)
                }
                override fun onUploadFailed(file: FileEntry) {
                    failures.add(file)
                }
            })
            val a = engine.enqueue(big.path, EnqueueOptions(kind = AssetKind.HERO))
            val b = engine.enqueue(small.path, EnqueueOptions(kind = AssetKind.OTHER, top = true))
            assertTrue("$a", a is Enqueued.Added)
            assertTrue("$b", b is Enqueued.Added)
            val finished = withTimeout(60_000) { done.await() }
            assertEquals(listOf<FileEntry>(), failures.toList())
            assertEquals(setOf(big.name, small.name), finished.completed.map { it.name }.toSet())
            assertTrue(finished.completed.all { it.uploadedBytes == it.size })
            withContext(Dispatchers.IO) {
                assertTrue("emulator has ${big.name} with its sha256", Control.hasCompleteAsset(big.name, bigSha))
                assertTrue("emulator has ${small.name} with its sha256", Control.hasCompleteAsset(small.name, smallSha))
            }
            // Enqueueing the same file again is recognised.
            assertTrue(engine.enqueue(small.path, EnqueueOptions()) is Enqueued.AlreadyUploaded)

            // Take log: a comment on the uploaded clip, kept in the journal and sent once.
            val clipId = (a as Enqueued.Added).id
            val note = engine.addComment(clipId, "circle take", 12UL)
            assertEquals(NoteKind.COMMENT, note.kind)
            assertEquals(big.name, note.fileName)
            withTimeout(30_000) {
                while (engine.notes(null, 10u).any { it.state != NoteState.SENT }) delay(50)
            }
            val comments = withContext(Dispatchers.IO) { Control.get("/_emulator/comments") }
            assertEquals(comments, 1, Regex("\"text\":\"circle take\"").findAll(comments).count())
            assertTrue(comments, comments.contains("\"timestamp\":12.0"))
            try {
                engine.addComment(clipId, "   ", null)
                fail("expected TakeupException.BadInput")
            } catch (e: TakeupException.BadInput) {
                assertEquals(ErrorAction.CHECK_INPUT, errorAction(e))
            }

            // Background hook: nothing left to do.
            val bg = engine.runBackgroundWork(5u)
            assertEquals(0UL, bg.remaining)
            assertFalse(bg.moreWork)

            // A typed error: a missing file is BadInput, with an action.
            try {
                engine.enqueue(File(dir, "missing.mov").path, EnqueueOptions())
                fail("expected TakeupException.BadInput")
            } catch (e: TakeupException.BadInput) {
                assertEquals(ErrorAction.CHECK_INPUT, errorAction(e))
                assertFalse("no token in messages", store.map.values.any { e.userMessage.contains(it) })
            }

            // Cancelling subscriptions stops deliveries; the network input still reaches status.
            uploadSub.cancel()
            assertFalse(uploadSub.isActive())
            statusSub.cancel()
            assertFalse(statusSub.isActive())
            Thread.sleep(200)
            val seen = statuses.received.size
            val seenUpdates = updates.get()
            engine.networkChanged(false, ConnectionType.CELLULAR)
            engine.pauseUploads()
            Thread.sleep(500)
            assertEquals(seen, statuses.received.size)
            assertEquals(seenUpdates, updates.get())
            assertFalse(engine.status().network.online)
            assertEquals(ConnectionType.CELLULAR, engine.status().network.connectionType)
            engine.resumeUploads()
            engine.networkChanged(true, ConnectionType.WIFI)

            // Sign out deletes the tokens from the app's store.
            engine.signOut()
            assertTrue("tokens deleted: ${store.map.keys}", store.map.isEmpty())
            assertEquals(ConnectionState.NotAuthorized, engine.connectionState())

            // Sign in with the Frame.io account (the app flow) through the bindings, then the
            // connection manager and an upload.
            assertTrue(engine.signInAvailable())
            val request = engine.beginSignIn(null)
            assertEquals(REDIRECT_URI, request.redirectUri)
            assertTrue(request.authorizationUrl, request.authorizationUrl.contains("code_challenge_method=S256"))
            assertEquals(request, engine.pendingSignIn())
            assertTrue("the sign-in in progress is in the app's store", store.map.keys.any { it.startsWith("c2c-app-sign-in.") })
            val redirect = withContext(Dispatchers.IO) { Control.approveSignIn(request.authorizationUrl) }
            assertTrue(redirect, redirect.startsWith("$REDIRECT_URI?code="))
            val me = engine.completeSignIn(redirect)
            assertEquals("dana.reyes@example.com", me.user.email)
            assertEquals(null, me.project)
            assertEquals(SignInMethod.ACCOUNT, engine.signInMethod())
            assertEquals(null, engine.pendingSignIn())
            val accounts = engine.listAccounts()
            assertTrue("$accounts", accounts is AccountList.Accounts)
            val account = (accounts as AccountList.Accounts).accounts.first()
            val projects = engine.listProjects(account.id, "testb")
            val testbed = projects.first { it.name == "Testbed" }
            assertEquals("Testbed", engine.connect(testbed.id).project?.name)
            val third = File(dir, "A002_C001.mov")
            val thirdSha = writeMedia(third, 300_000, 3)
            val uploaded = CompletableDeferred<Unit>()
            val sub3 = engine.subscribeUploads(object : UploadListener {
                override fun onQueueStatus(status: QueueStatus) {
                    if (status.totals.done == 3UL && status.totals.filesRemaining == 0UL) uploaded.complete(Unit)
                }
                override fun onUploadFailed(file: FileEntry) {}
            })
            engine.enqueue(third.path, EnqueueOptions())
            withTimeout(60_000) { uploaded.await() }
            sub3.close()
            withContext(Dispatchers.IO) {
                assertTrue("emulator has ${third.name}", Control.hasCompleteAsset(third.name, thirdSha))
            }
            engine.appForeground()
            engine.signOut()
            assertTrue("tokens deleted: ${store.map.keys}", store.map.isEmpty())
            uploadSub.close()
            statusSub.close()
        }
    }

    @Test
    fun aDeclinedSignInIsCancelledAndAStaleAnswerIsRefused() = runBlocking {
        val store = MemorySecretStore()
        startEngine(config(tempDir()), store).use { engine ->
            val request = engine.beginSignIn(null)
            // Declined on the page: the emulator sends the browser back with access_denied.
            val denied = withContext(Dispatchers.IO) {
                Control.post("/_emulator/oauth/approve", "{\"url\":\"${request.authorizationUrl}\",\"deny\":true}")
            }
            val deniedUrl = Regex("\"redirect\":\"([^\"]+)\"").find(denied)!!.groupValues[1].replace("\\u0026", "&")
            try {
                engine.completeSignIn(deniedUrl)
                fail("expected TakeupException.Cancelled")
            } catch (e: TakeupException.Cancelled) {
                assertEquals(ErrorAction.NONE, errorAction(e))
            }
            assertEquals(null, engine.pendingSignIn())
            assertTrue(store.map.isEmpty())
            // An answer for another sign-in is refused and the current one kept.
            engine.beginSignIn(null)
            try {
                engine.completeSignIn("$REDIRECT_URI?code=x&state=another")
                fail("expected TakeupException.NotAuthorized")
            } catch (e: TakeupException.NotAuthorized) {
                assertTrue(e.userMessage, e.userMessage.contains("sign-in"))
            }
            assertNotNull(engine.pendingSignIn())
        }
    }

    @Test
    fun pairingCanBeCancelledAndAStoreFailureIsReported() = runBlocking {
        val store = MemorySecretStore()
        startEngine(config(tempDir()), store).use { engine ->
            val shown = CompletableDeferred<String>()
            val pairing = async(Dispatchers.IO) {
                runCatching {
                    engine.pair(object : PairingListener {
                        override fun onProgress(progress: PairingProgress) {
                            progress.code?.let { shown.complete(it.userCode) }
                        }
                    })
                }
            }
            withTimeout(20_000) { shown.await() }
            assertTrue(engine.cancelPairing())
            val e = withTimeout(10_000) { pairing.await() }.exceptionOrNull()
            assertTrue("expected Cancelled, got $e", e is TakeupException.Cancelled)
            assertEquals(ErrorAction.NONE, errorAction(e as TakeupException))
            assertTrue(store.map.isEmpty())
            assertEquals(ConnectionState.NotAuthorized, engine.connectionState())
        }
        // A store that throws: its error reaches the engine as a typed error.
        val failing = object : SecretStore {
            override fun get(key: String): String? = throw SecretStoreException.Unavailable("device locked")
            override fun set(key: String, value: String) = throw SecretStoreException.Unavailable("device locked")
            override fun delete(key: String) {}
        }
        try {
            startEngine(config(tempDir()), failing).close()
            fail("expected a Storage error")
        } catch (e: TakeupException.Storage) {
            assertTrue(e.userMessage, e.userMessage.contains("device locked"))
            assertEquals(ErrorAction.CHECK_STORAGE, errorAction(e))
        }
        assertNotNull(store)
    }
}
