// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package io.takeup.app
object BuildConfig { const val TAKEUP_API_BASE = ""; const val TAKEUP_CLIENT_SECRET = ""; const val TAKEUP_EXTRA_CA_PEM = ""; const val TAKEUP_UPLOAD_HOSTS = ""; const val TAKEUP_APP_CLIENT_ID = ""; const val TAKEUP_APPLICATIONS_BASE = ""; const val VERSION_NAME = "0.1.0" }
