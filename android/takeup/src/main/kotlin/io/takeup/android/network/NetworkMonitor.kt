package io.takeup.android.network

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.os.Build
import io.takeup.core.TakeupEngine

/**
 * Feeds the engine the device's network state: a default-network callback on
 * [ConnectivityManager] turned into [NetworkFacts] and handed to [NetworkReporter], which calls
 * `engine.networkChanged(online, type)` on each change (online = INTERNET + VALIDATED, not
 * suspended, not blocked; type from the transports). Reports the current state at [start].
 * Needs ACCESS_NETWORK_STATE (the library's manifest declares it).
 */
class NetworkMonitor(context: Context, engine: TakeupEngine) {
    private val cm = context.applicationContext.getSystemService(ConnectivityManager::class.java)
    private val reporter = NetworkReporter { online, type -> engine.networkChanged(online, type) }
    private var registered = false

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onAvailable(network: Network) = reporter.available(network.toString())

        override fun onCapabilitiesChanged(network: Network, networkCapabilities: NetworkCapabilities) =
            reporter.capabilities(network.toString(), facts(networkCapabilities))

        override fun onBlockedStatusChanged(network: Network, blocked: Boolean) =
            reporter.blocked(network.toString(), blocked)

        override fun onLost(network: Network) = reporter.lost(network.toString())
    }

    @Synchronized
    fun start() {
        if (registered) return
        // The state now, so the engine does not see a transient "offline" before the first callback.
        val active = cm.activeNetwork
        val caps = active?.let { cm.getNetworkCapabilities(it) }
        if (active != null && caps != null) reporter.capabilities(active.toString(), facts(caps))
        reporter.start()
        cm.registerDefaultNetworkCallback(callback)
        registered = true
    }

    @Synchronized
    fun stop() {
        if (!registered) return
        runCatching { cm.unregisterNetworkCallback(callback) }
        registered = false
    }

    companion object {
        /** TRANSPORT_USB (API 31); the constant's value, so this compiles against any SDK. */
        private const val TRANSPORT_USB = 8

        fun facts(caps: NetworkCapabilities): NetworkFacts {
            val transports = buildSet {
                if (caps.hasTransport(NetworkCapabilities.TRANSPORT_WIFI)) add(Transport.WIFI)
                if (caps.hasTransport(NetworkCapabilities.TRANSPORT_CELLULAR)) add(Transport.CELLULAR)
                if (caps.hasTransport(NetworkCapabilities.TRANSPORT_ETHERNET)) add(Transport.ETHERNET)
                if (caps.hasTransport(NetworkCapabilities.TRANSPORT_BLUETOOTH)) add(Transport.BLUETOOTH)
                if (caps.hasTransport(NetworkCapabilities.TRANSPORT_VPN)) add(Transport.VPN)
                if (Build.VERSION.SDK_INT >= 31 && caps.hasTransport(TRANSPORT_USB)) add(Transport.USB)
                if (isEmpty()) add(Transport.OTHER)
            }
            val suspended = Build.VERSION.SDK_INT >= 28 &&
                !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_SUSPENDED)
            return NetworkFacts(
                transports = transports,
                internet = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET),
                validated = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED),
                suspended = suspended,
            )
        }
    }
}
