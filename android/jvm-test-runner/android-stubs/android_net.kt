// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.net
open class Network
abstract class Uri {
    companion object {
        fun parse(uriString: String): Uri = throw UnsupportedOperationException()
    }
}
class NetworkCapabilities {
    fun hasTransport(t: Int): Boolean = false
    fun hasCapability(c: Int): Boolean = false
    companion object {
        const val TRANSPORT_WIFI = 1; const val TRANSPORT_CELLULAR = 0; const val TRANSPORT_ETHERNET = 3
        const val TRANSPORT_BLUETOOTH = 2; const val TRANSPORT_VPN = 4
        const val NET_CAPABILITY_INTERNET = 12; const val NET_CAPABILITY_VALIDATED = 16; const val NET_CAPABILITY_NOT_SUSPENDED = 21
    }
}
open class ConnectivityManager {
    val activeNetwork: Network? get() = null
    fun getNetworkCapabilities(n: Network?): NetworkCapabilities? = null
    fun registerDefaultNetworkCallback(cb: NetworkCallback) {}
    fun unregisterNetworkCallback(cb: NetworkCallback) {}
    open class NetworkCallback {
        open fun onAvailable(network: Network) {}
        open fun onCapabilitiesChanged(network: Network, networkCapabilities: NetworkCapabilities) {}
        open fun onBlockedStatusChanged(network: Network, blocked: Boolean) {}
        open fun onLost(network: Network) {}
    }
}
