package io.takeup.android.signin

import java.net.URI

/**
 * The app's side of signing in with a Frame.io account: the sign-in page opens in a Custom Tab
 * ([SignInBrowser]) and Frame.io sends the browser back to the app's redirect URI, a private-use
 * scheme (RFC 8252 §7.1) routed to the app by its manifest. Whatever arrives on that scheme is
 * handed to the engine as `UiAction.CompleteSignIn`: the engine checks the `state` and the code,
 * so a forged redirect cannot sign anyone in.
 */
object SignInRedirect {
    /** The redirect URI registered for the app (and routed to MainActivity by its manifest). */
    const val DEFAULT_REDIRECT_URI = "io.takeup.app:/oauth2redirect"

    /**
     * Whether `data` (an incoming intent's URI) is the answer of a sign-in for `redirectUri`:
     * the same scheme (case-insensitive) and path, with a query.
     */
    fun isAnswer(data: String?, redirectUri: String = DEFAULT_REDIRECT_URI): Boolean {
        if (data == null) return false
        val got = runCatching { URI(data) }.getOrNull() ?: return false
        val want = runCatching { URI(redirectUri) }.getOrNull() ?: return false
        return got.scheme.equals(want.scheme, ignoreCase = true) &&
            got.rawPath == want.rawPath &&
            !got.rawQuery.isNullOrEmpty()
    }
}
