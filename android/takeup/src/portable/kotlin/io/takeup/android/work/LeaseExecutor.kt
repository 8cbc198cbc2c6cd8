// A platform executor of the engine's part leases, in plain Kotlin (JVM-tested against the
// emulator): lease parts, send each exactly as leased through a PartSender, report the outcome,
// lease the next. Outcomes the engine could not take (it was being closed, the process is being
// restarted) are kept and reported to the next engine `attach`ed, which keeps their leases
// (`pendingTransfers`) instead of sending the parts again.
package io.takeup.android.work

import io.takeup.core.TakeupEngine
import io.takeup.core.types.NetworkErrorKind
import io.takeup.core.types.PartTransfer
import io.takeup.core.types.TransferAck
import io.takeup.core.types.TransferError
import java.io.File
import java.io.IOException
import java.io.InputStream
import java.io.RandomAccessFile
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.NoRouteToHostException
import java.net.SocketTimeoutException
import java.net.URI
import java.net.UnknownHostException
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap
import javax.net.ssl.SSLException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit

/** What sending one leased part gave. */
sealed class TransferOutcome {
    data class Stored(val etag: String?) : TransferOutcome()
    data class Failed(val error: TransferError) : TransferOutcome()
}

/** Sends one leased part (never throws for HTTP or network failures: they are outcomes). */
fun interface PartSender {
    suspend fun send(transfer: PartTransfer): TransferOutcome
}

/** Mapping answers and exceptions to lease reports (shared by every sender). */
object TransferReports {
    const val MAX_BODY = 4096

    fun forStatus(status: Int, etag: String?, body: String, retryAfter: String?): TransferOutcome =
        if (status in 200..299) {
            TransferOutcome.Stored(etag)
        } else {
            TransferOutcome.Failed(
                TransferError.Http(
                    status.coerceIn(0, 65535).toUShort(),
                    body.take(MAX_BODY),
                    retryAfter?.trim()?.toLongOrNull()?.let { Duration.ofSeconds(it) },
                ),
            )
        }

    /** An exception from the HTTP stack as the engine's failure kinds. */
    fun forException(e: Throwable): TransferError = when (e) {
        is UnknownHostException, is ConnectException, is NoRouteToHostException ->
            TransferError.Network(NetworkErrorKind.CONNECT)
        is SocketTimeoutException -> TransferError.Network(NetworkErrorKind.TIMEOUT)
        is SSLException -> TransferError.Network(NetworkErrorKind.TLS)
        else -> {
            val cause = e.cause
            if (cause != null && cause !== e) forException(cause) else TransferError.Network(NetworkErrorKind.INTERRUPTED)
        }
    }

    /** The lease's headers an HTTP stack may set itself: the length comes from the body. */
    fun requestHeaders(t: PartTransfer): List<Pair<String, String>> =
        t.headers.filter { !it.name.equals("Content-Length", ignoreCase = true) }.map { it.name to it.value }
}

/** The `length` bytes of `path` from `offset`, streamed (no part held in memory). */
fun sliceStream(t: PartTransfer): InputStream {
    val f = RandomAccessFile(File(t.path), "r")
    f.seek(t.offset.toLong())
    var left = t.length.toLong()
    return object : InputStream() {
        override fun read(): Int {
            if (left <= 0) return -1
            val b = f.read()
            if (b >= 0) left-- else left = 0
            return b
        }
        override fun read(b: ByteArray, off: Int, len: Int): Int {
            if (left <= 0) return -1
            val n = f.read(b, off, minOf(len.toLong(), left).toInt())
            if (n < 0) {
                left = 0
                return -1
            }
            left -= n
            return n
        }
        override fun close() = f.close()
    }
}

/** The sender of the Android worker: HttpURLConnection, streaming the file range. */
class HttpUrlConnectionSender(
    private val connectTimeout: Duration = Duration.ofSeconds(30),
    private val readTimeout: Duration = Duration.ofSeconds(60),
) : PartSender {
    override suspend fun send(transfer: PartTransfer): TransferOutcome = kotlinx.coroutines.withContext(
        kotlinx.coroutines.Dispatchers.IO,
    ) {
        val c = URI(transfer.url).toURL().openConnection() as HttpURLConnection
        try {
            c.requestMethod = transfer.method
            c.doOutput = true
            c.connectTimeout = connectTimeout.toMillis().toInt()
            c.readTimeout = readTimeout.toMillis().toInt()
            c.setFixedLengthStreamingMode(transfer.length.toLong())
            for ((k, v) in TransferReports.requestHeaders(transfer)) c.setRequestProperty(k, v)
            val source = try {
                sliceStream(transfer)
            } catch (e: IOException) {
                return@withContext TransferOutcome.Failed(TransferError.File("cannot read the part: ${e.message}"))
            }
            source.use { input -> c.outputStream.use { input.copyTo(it, 64 * 1024) } }
            val status = c.responseCode
            val body = (if (status >= 400) c.errorStream else c.inputStream)?.use {
                String(it.readNBytes(TransferReports.MAX_BODY), Charsets.UTF_8)
            } ?: ""
            TransferReports.forStatus(status, c.getHeaderField("ETag"), body, c.getHeaderField("Retry-After"))
        } catch (e: IOException) {
            TransferOutcome.Failed(TransferReports.forException(e))
        } finally {
            c.disconnect()
        }
    }
}

/**
 * Leases parts from the attached engine and sends up to `parallel` at once. `run` returns when
 * the engine has nothing more to lease (done, or held) and every send was reported.
 */
class LeaseExecutor(
    private val sender: PartSender,
    private val parallel: Int = 4,
    private val leaseWait: Duration = Duration.ofSeconds(10),
) {
    @Volatile private var engine: TakeupEngine? = null
    private val unreported = ConcurrentHashMap<String, TransferOutcome>()

    /** Called after each report (null: kept for the next engine). */
    @Volatile var onReport: ((String, TransferOutcome, TransferAck?) -> Unit)? = null

    /** Parts being sent now. */
    val inFlight: MutableSet<String> = ConcurrentHashMap.newKeySet()

    /**
     * Use `engine` (at start, or a restarted one): leases this executor no longer sends go back
     * to the queue, outcomes kept while no engine could take them are reported. Returns how many
     * leases the engine took back.
     */
    suspend fun attach(engine: TakeupEngine): ULong {
        this.engine = engine
        val done = unreported.keys.toList()
        val back = engine.pendingTransfers(inFlight.toList() + done)
        for (id in done) {
            val outcome = unreported.remove(id) ?: continue
            report(id, outcome)
        }
        return back
    }

    /** Stop reporting to the engine (it is being closed); outcomes are kept for the next. */
    fun detach() {
        engine = null
    }

    private suspend fun report(leaseId: String, outcome: TransferOutcome) {
        val e = engine
        val ack = try {
            when (outcome) {
                is TransferOutcome.Stored -> e?.transferSucceeded(leaseId, outcome.etag)
                is TransferOutcome.Failed -> e?.transferFailed(leaseId, outcome.error)
            }
        } catch (c: CancellationException) {
            throw c
        } catch (_: Exception) {
            null // the engine stopped meanwhile
        }
        if (ack == null) unreported[leaseId] = outcome
        onReport?.invoke(leaseId, outcome, ack)
    }

    /** Lease and send until nothing is left to lease or `keepGoing` says stop. */
    suspend fun run(keepGoing: () -> Boolean = { true }) = coroutineScope {
        val permits = Semaphore(parallel)
        while (isActive && keepGoing()) {
            val e = engine ?: break
            val room = parallel - inFlight.size
            if (room <= 0) {
                permits.withPermit { } // wait for a send to end
                continue
            }
            val leases = try {
                e.nextTransfers(room.toUInt(), leaseWait)
            } catch (c: CancellationException) {
                throw c
            } catch (_: Exception) {
                break
            }
            if (leases.isEmpty()) {
                if (inFlight.isEmpty()) break
                permits.withPermit { }
                continue
            }
            for (t in leases) {
                inFlight.add(t.leaseId)
                permits.acquire()
                launch {
                    try {
                        val outcome = try {
                            sender.send(t)
                        } catch (c: CancellationException) {
                            TransferOutcome.Failed(TransferError.Abandoned)
                        }
                        report(t.leaseId, outcome)
                    } finally {
                        inFlight.remove(t.leaseId)
                        permits.release()
                    }
                }
            }
        }
    }
}
