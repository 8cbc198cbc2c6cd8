// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.content
open class Context {
    open val applicationContext: Context get() = this
    open val packageManager: android.content.pm.PackageManager get() = TODO()
    open val packageName: String get() = TODO()
    open val filesDir: java.io.File get() = TODO()
    open val contentResolver: ContentResolver get() = TODO()
    open fun getExternalFilesDir(type: String?): java.io.File? = TODO()
    open fun getSharedPreferences(name: String, mode: Int): SharedPreferences = TODO()
    open fun <T> getSystemService(c: Class<T>): T = TODO()
    companion object { const val MODE_PRIVATE = 0 }
}
interface SharedPreferences {
    fun getString(k: String, d: String?): String?
    fun getLong(k: String, d: Long): Long
    fun contains(k: String): Boolean
    fun edit(): Editor
    interface Editor { fun putString(k: String, v: String?): Editor; fun putLong(k: String, v: Long): Editor; fun remove(k: String): Editor; fun commit(): Boolean; fun apply() }
}
open class Intent
open class ContentResolver {
    fun query(uri: android.net.Uri, p: Array<String>?, s: String?, a: Array<String>?, o: String?): android.database.Cursor? = TODO()
    fun openInputStream(uri: android.net.Uri): java.io.InputStream? = TODO()
}
