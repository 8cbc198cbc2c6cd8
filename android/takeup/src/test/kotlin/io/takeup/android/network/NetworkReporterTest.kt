package io.takeup.android.network

import io.takeup.core.types.ConnectionType
import org.junit.Assert.assertEquals
import org.junit.Test

class NetworkReporterTest {
    private val reports = mutableListOf<Pair<Boolean, ConnectionType>>()
    private val reporter = NetworkReporter { online, type -> reports.add(online to type) }

    private fun facts(vararg t: Transport, validated: Boolean = true, internet: Boolean = true, suspended: Boolean = false) =
        NetworkFacts(t.toSet(), internet = internet, validated = validated, suspended = suspended)

    @Test
    fun mapping() {
        assertEquals(ConnectionType.WIFI, NetworkMapping.connectionType(facts(Transport.WIFI)))
        assertEquals(ConnectionType.CELLULAR, NetworkMapping.connectionType(facts(Transport.CELLULAR)))
        assertEquals(ConnectionType.ETHERNET, NetworkMapping.connectionType(facts(Transport.ETHERNET)))
        assertEquals(ConnectionType.ETHERNET, NetworkMapping.connectionType(facts(Transport.USB)))
        assertEquals(ConnectionType.WIFI, NetworkMapping.connectionType(facts(Transport.VPN, Transport.WIFI)))
        assertEquals(ConnectionType.UNKNOWN, NetworkMapping.connectionType(facts(Transport.VPN)))
        assertEquals(ConnectionType.UNKNOWN, NetworkMapping.connectionType(facts(Transport.BLUETOOTH)))
        assertEquals(true, NetworkMapping.isOnline(facts(Transport.WIFI)))
        // A captive portal: connected but not validated.
        assertEquals(false, NetworkMapping.isOnline(facts(Transport.WIFI, validated = false)))
        assertEquals(false, NetworkMapping.isOnline(facts(Transport.CELLULAR, internet = false)))
        assertEquals(false, NetworkMapping.isOnline(facts(Transport.CELLULAR, suspended = true)))
    }

    @Test
    fun reportsOnceAtStartThenOnlyChanges() {
        reporter.start()
        assertEquals(listOf(false to ConnectionType.UNKNOWN), reports)
        reporter.available("100")
        assertEquals(1, reports.size) // no facts yet: still offline / unknown
        reporter.capabilities("100", facts(Transport.WIFI, validated = false))
        assertEquals(false to ConnectionType.WIFI, reports.last())
        reporter.capabilities("100", facts(Transport.WIFI))
        assertEquals(true to ConnectionType.WIFI, reports.last())
        val n = reports.size
        reporter.capabilities("100", facts(Transport.WIFI)) // same again (e.g. signal strength)
        assertEquals(n, reports.size)
    }

    @Test
    fun switchingNetworksAndLateLosses() {
        reporter.capabilities("100", facts(Transport.WIFI))
        reporter.available("101")
        reporter.capabilities("101", facts(Transport.CELLULAR))
        assertEquals(true to ConnectionType.CELLULAR, reports.last())
        val n = reports.size
        reporter.lost("100") // the old default going away does not matter
        assertEquals(n, reports.size)
        reporter.lost("101")
        assertEquals(false to ConnectionType.UNKNOWN, reports.last())
    }

    @Test
    fun blockedTrafficIsOfflineAndSurvivesCapabilityUpdates() {
        reporter.capabilities("7", facts(Transport.CELLULAR))
        reporter.blocked("7", true)
        assertEquals(false to ConnectionType.CELLULAR, reports.last())
        reporter.capabilities("7", facts(Transport.CELLULAR))
        assertEquals(false to ConnectionType.CELLULAR, reports.last())
        reporter.blocked("8", false) // another network: ignored
        assertEquals(false to ConnectionType.CELLULAR, reports.last())
        reporter.blocked("7", false)
        assertEquals(true to ConnectionType.CELLULAR, reports.last())
    }

    @Test
    fun startAfterStateIsKnownReportsIt() {
        reporter.capabilities("5", facts(Transport.ETHERNET))
        reports.clear()
        reporter.start()
        assertEquals(listOf(true to ConnectionType.ETHERNET), reports)
        assertEquals(true to ConnectionType.ETHERNET, reporter.lastReport())
    }
}
