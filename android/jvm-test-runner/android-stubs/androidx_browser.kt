// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package androidx.browser.customtabs
class CustomTabsIntent {
    fun launchUrl(context: android.content.Context, url: android.net.Uri) {}
    class Builder {
        fun setShowTitle(showTitle: Boolean): Builder = this
        fun build(): CustomTabsIntent = CustomTabsIntent()
    }
}
