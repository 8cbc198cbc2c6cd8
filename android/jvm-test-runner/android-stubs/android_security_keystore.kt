// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.security.keystore
class KeyGenParameterSpec : java.security.spec.AlgorithmParameterSpec {
    class Builder(alias: String, purposes: Int) {
        fun setBlockModes(vararg m: String) = this
        fun setEncryptionPaddings(vararg p: String) = this
        fun setKeySize(n: Int) = this
        fun setRandomizedEncryptionRequired(b: Boolean) = this
        fun build(): KeyGenParameterSpec = KeyGenParameterSpec()
    }
}
object KeyProperties {
    const val KEY_ALGORITHM_AES = "AES"; const val PURPOSE_ENCRYPT = 1; const val PURPOSE_DECRYPT = 2
    const val BLOCK_MODE_GCM = "GCM"; const val ENCRYPTION_PADDING_NONE = "NoPadding"
}
class KeyPermanentlyInvalidatedException(message: String? = null) : java.security.InvalidKeyException(message)
