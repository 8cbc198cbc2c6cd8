package io.takeup.core

/**
 * The library's Android-only JNI entry point (rust/takeup-ffi/src/android.rs): gives
 * rustls-platform-verifier the JVM and the app `Context`, so the engine checks TLS certificates
 * with the Android trust store. Call once per process before `startEngine`
 * ([io.takeup.android.engine.EngineHolder] does). Failures are thrown as `RuntimeException`.
 */
object TakeupAndroid {
    init {
        System.loadLibrary("takeup_ffi")
    }

    @JvmStatic
    external fun initPlatform(context: android.content.Context)
}
