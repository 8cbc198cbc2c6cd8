//! Android only: initialisation that needs the JVM. rustls-platform-verifier (used by the HTTP
//! client for certificate checks through the Android trust store) must get the app `Context`
//! before the first request. The app calls, once, before `startEngine`:
//!
//! ```kotlin
//! package io.takeup.core
//! object TakeupAndroid {
//!     init { System.loadLibrary("takeup_ffi") }
//!     @JvmStatic external fun initPlatform(context: android.content.Context)
//! }
//! // Application.onCreate(): TakeupAndroid.initPlatform(applicationContext)
//! ```
//!
//! The app must also ship rustls-platform-verifier's small Kotlin component (its Maven artifact,
//! see docs/bindings.md). Type-checked here through scripts/check-mobile-targets.sh.

use jni::EnvUnowned;
use jni::objects::{JClass, JObject};

/// JNI entry point of `io.takeup.core.TakeupAndroid.initPlatform(Context)`. Failures are
/// thrown to Kotlin as a `RuntimeException`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_takeup_core_TakeupAndroid_initPlatform<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) {
    unowned_env
        .with_env(|env| -> Result<(), jni::errors::Error> {
            rustls_platform_verifier::android::init_with_env(env, context)
        })
        .resolve::<jni::errors::ThrowRuntimeExAndDefault>();
}
