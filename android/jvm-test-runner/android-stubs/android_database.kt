// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.database
interface Cursor : java.io.Closeable { fun moveToFirst(): Boolean; fun getString(i: Int): String?; fun getLong(i: Int): Long; fun isNull(i: Int): Boolean }
