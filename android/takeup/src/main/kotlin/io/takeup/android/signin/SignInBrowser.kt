package io.takeup.android.signin

import android.content.Context
import android.net.Uri
import androidx.browser.customtabs.CustomTabsIntent

/**
 * Opens the sign-in page of Frame.io in a Custom Tab (the user's browser, with its saved
 * sign-in; the app never sees the password). The page ends on the app's redirect URI, which the
 * manifest routes back to MainActivity ([SignInRedirect]).
 */
object SignInBrowser {
    fun open(context: Context, url: String) {
        CustomTabsIntent.Builder()
            .setShowTitle(true)
            .build()
            .launchUrl(context, Uri.parse(url))
    }
}
