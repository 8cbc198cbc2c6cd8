package io.takeup.android.engine

import io.takeup.android.signin.SignInRedirect
import io.takeup.core.AppSignIn
import io.takeup.core.EngineConfig
import java.io.File

/**
 * What the app configures (from its BuildConfig): the API base, the client secret (pairing with a
 * code; may be empty when the app only signs in with Frame.io accounts), the version sent in
 * `x-client-version`, optionally an extra CA (a test emulator) and upload hosts, and the sign-in
 * with a Frame.io account: the app's OAuth client id (no secret), its redirect URI (the scheme
 * the manifest routes to the app) and the applications base URL.
 */
data class EngineSettings(
    val apiBase: String,
    val clientSecret: String,
    val clientVersion: String,
    val extraRootCaPem: String? = null,
    val uploadHosts: List<String> = emptyList(),
    val appClientId: String? = null,
    val appRedirectUri: String = SignInRedirect.DEFAULT_REDIRECT_URI,
    val applicationsBase: String? = null,
) {
    /** The sign-in settings, when the app has a client id. */
    fun appSignIn(): AppSignIn? = appClientId?.takeIf { it.isNotBlank() }?.let {
        AppSignIn(clientId = it, redirectUris = listOf(appRedirectUri), applicationsBase = applicationsBase, scope = null)
    }

    /** The engine configuration with its state directory under the app's private files dir. */
    fun toConfig(filesDir: File): EngineConfig = EngineConfig(
        stateDir = stateDir(filesDir).path,
        apiBase = apiBase,
        clientSecret = clientSecret,
        clientVersion = clientVersion,
        extraRootCaPem = extraRootCaPem,
        uploadHosts = uploadHosts,
        queue = null,
        appSignIn = appSignIn(),
    )

    companion object {
        /** `filesDir/takeup`: journal and identity cache (no secrets: those are in the keystore). */
        fun stateDir(filesDir: File): File = File(filesDir, "takeup")

        /** Semver the engine accepts from an app `versionName` like `1.2` or `1.2.3-beta`. */
        fun clientVersion(versionName: String): String {
            val core = versionName.substringBefore('-').substringBefore('+')
            val nums = core.split('.').map { it.toIntOrNull() ?: 0 }
            val (a, b, c) = (nums + listOf(0, 0, 0)).take(3)
            val suffix = versionName.removePrefix(core)
            return "$a.$b.$c$suffix"
        }
    }
}
