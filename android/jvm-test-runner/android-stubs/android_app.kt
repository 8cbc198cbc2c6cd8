// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.app
open class Application : android.content.Context() { open fun onCreate() {} }
class Notification
class NotificationChannel(id: String, name: CharSequence, importance: Int) { var description: String? = null; fun setShowBadge(b: Boolean) {} }
class NotificationManager {
    fun getNotificationChannel(id: String): NotificationChannel? = null
    fun createNotificationChannel(c: NotificationChannel) {}
    companion object { const val IMPORTANCE_LOW = 2 }
}
class PendingIntent {
    companion object {
        const val FLAG_IMMUTABLE = 1; const val FLAG_UPDATE_CURRENT = 2
        @JvmStatic fun getActivity(c: android.content.Context, r: Int, i: android.content.Intent, f: Int): PendingIntent = PendingIntent()
    }
}
