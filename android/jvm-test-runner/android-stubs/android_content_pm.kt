// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.content.pm
open class PackageManager { fun getLaunchIntentForPackage(p: String): android.content.Intent? = TODO() }
object ServiceInfo { const val FOREGROUND_SERVICE_TYPE_DATA_SYNC = 1 }
