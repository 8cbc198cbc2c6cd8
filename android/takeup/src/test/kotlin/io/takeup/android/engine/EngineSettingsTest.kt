package io.takeup.android.engine

import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test

class EngineSettingsTest {
    @Test
    fun configUsesAPrivateStateDirAndTheSettings() {
        val s = EngineSettings("https://api.frame.io", "cs", "1.2.3", uploadHosts = listOf("*.amazonaws.com"))
        val c = s.toConfig(File("/data/user/0/io.takeup.app/files"))
        assertEquals("/data/user/0/io.takeup.app/files/takeup", c.stateDir)
        assertEquals("https://api.frame.io", c.apiBase)
        assertEquals("cs", c.clientSecret)
        assertEquals("1.2.3", c.clientVersion)
        assertEquals(listOf("*.amazonaws.com"), c.uploadHosts)
        assertNull(c.extraRootCaPem)
        assertNull(c.queue)
        assertNull("no client id: pairing only", c.appSignIn)
    }

    @Test
    fun signInWithAFrameIoAccountNeedsOnlyAClientId() {
        val s = EngineSettings("https://api.frame.io", "", "1.0.0", appClientId = "takeup-app")
        val sign = s.toConfig(File("/f")).appSignIn!!
        assertEquals("takeup-app", sign.clientId)
        assertEquals(listOf("io.takeup.app:/oauth2redirect"), sign.redirectUris)
        assertNull(sign.applicationsBase)
        val test = EngineSettings("https://127.0.0.1:9", "", "1.0.0", appClientId = "a", applicationsBase = "https://127.0.0.1:9")
        assertEquals("https://127.0.0.1:9", test.appSignIn()!!.applicationsBase)
        assertNull(EngineSettings("https://api.frame.io", "s", "1.0.0", appClientId = " ").appSignIn())
    }

    @Test
    fun clientVersionIsSemver() {
        assertEquals("1.0.0", EngineSettings.clientVersion("1"))
        assertEquals("1.2.0", EngineSettings.clientVersion("1.2"))
        assertEquals("1.2.3", EngineSettings.clientVersion("1.2.3"))
        assertEquals("1.2.0-beta.1", EngineSettings.clientVersion("1.2-beta.1"))
        assertEquals("0.0.0", EngineSettings.clientVersion("dev"))
    }
}
