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
