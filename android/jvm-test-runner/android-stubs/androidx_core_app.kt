// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package androidx.core.app
class NotificationCompat {
    class Builder(c: android.content.Context, ch: String) {
        fun setSmallIcon(i: Int) = this; fun setContentTitle(t: CharSequence?) = this; fun setContentText(t: CharSequence?) = this
        fun setOngoing(b: Boolean) = this; fun setOnlyAlertOnce(b: Boolean) = this; fun setSilent(b: Boolean) = this
        fun setCategory(c: String?) = this; fun setForegroundServiceBehavior(b: Int) = this
        fun setContentIntent(p: android.app.PendingIntent?) = this; fun build(): android.app.Notification = TODO()
    }
    companion object { const val CATEGORY_PROGRESS = "progress"; const val FOREGROUND_SERVICE_IMMEDIATE = 1 }
}
