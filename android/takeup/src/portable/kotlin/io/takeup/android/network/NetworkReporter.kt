// What the platform's network callbacks mean for the engine, without Android classes: the Android
// NetworkMonitor turns ConnectivityManager callbacks into [NetworkFacts] and calls the reporter,
// which decides (online, connection type) and tells the engine only when that changes.
package io.takeup.android.network

import io.takeup.core.types.ConnectionType

/** Transports of a network (Android `NetworkCapabilities.TRANSPORT_*`). */
enum class Transport { WIFI, CELLULAR, ETHERNET, USB, BLUETOOTH, VPN, OTHER }

/**
 * The facts of one network: its transports, `NET_CAPABILITY_INTERNET`, `NET_CAPABILITY_VALIDATED`
 * (the system reached the internet through it: not a captive portal), `NOT_SUSPENDED` and whether
 * the app's traffic is blocked on it (data saver, background restrictions).
 */
data class NetworkFacts(
    val transports: Set<Transport>,
    val internet: Boolean,
    val validated: Boolean,
    val suspended: Boolean = false,
    val blocked: Boolean = false,
)

object NetworkMapping {
    /**
     * The connection type shown to the user and given to the engine. A VPN reports the
     * transports of the network under it as well (Android 10+), so the physical link wins; USB
     * (Android 12+ TRANSPORT_USB: a USB Ethernet adapter or reverse tethering) is a wired link.
     */
    fun connectionType(facts: NetworkFacts): ConnectionType {
        val t = facts.transports
        return when {
            Transport.ETHERNET in t || Transport.USB in t -> ConnectionType.ETHERNET
            Transport.WIFI in t -> ConnectionType.WIFI
            Transport.CELLULAR in t -> ConnectionType.CELLULAR
            else -> ConnectionType.UNKNOWN
        }
    }

    /** Online = can reach the internet now: internet + validated, not suspended or blocked. */
    fun isOnline(facts: NetworkFacts): Boolean =
        facts.internet && facts.validated && !facts.suspended && !facts.blocked
}

/**
 * Tracks the default network and reports `(online, type)` to [sink] (the engine's
 * `networkChanged`) on every change, and once at [start]. Callbacks may arrive on any thread.
 * Networks are identified by an opaque id (Android: `Network.toString()` / its handle); a late
 * `lost` for a network that is no longer the default is ignored.
 */
class NetworkReporter(private val sink: (online: Boolean, type: ConnectionType) -> Unit) {
    private var current: String? = null
    private var facts: NetworkFacts? = null
    private var blockedNow = false
    private var last: Pair<Boolean, ConnectionType>? = null

    /** Report the state now (call once when monitoring starts, after registering the callback). */
    @Synchronized
    fun start() {
        last = null
        publish()
    }

    /** A network became the default (facts may follow in [capabilities]). */
    @Synchronized
    fun available(id: String) {
        makeCurrent(id)
        publish()
    }

    /** New capabilities of a network (it is the default: the callback is a default-network one). */
    @Synchronized
    fun capabilities(id: String, newFacts: NetworkFacts) {
        makeCurrent(id)
        facts = newFacts
        publish()
    }

    /** [id] is the default network now: a new one starts without facts and not blocked. */
    private fun makeCurrent(id: String) {
        if (current == id) return
        current = id
        facts = null
        blockedNow = false
    }

    /** Blocked status changed (Android `onBlockedStatusChanged`). */
    @Synchronized
    fun blocked(id: String, blocked: Boolean) {
        if (id != current) return
        blockedNow = blocked
        publish()
    }

    /** A network was lost; only the current default matters. */
    @Synchronized
    fun lost(id: String) {
        if (id != current) return
        current = null
        facts = null
        blockedNow = false
        publish()
    }

    /** What the last report said (for tests and the UI before the engine answers). */
    @Synchronized
    fun lastReport(): Pair<Boolean, ConnectionType>? = last

    private fun publish() {
        val f = facts
        val report = if (current == null || f == null) {
            false to ConnectionType.UNKNOWN
        } else {
            val effective = if (blockedNow) f.copy(blocked = true) else f
            NetworkMapping.isOnline(effective) to NetworkMapping.connectionType(effective)
        }
        if (report != last) {
            last = report
            sink(report.first, report.second)
        }
    }
}
