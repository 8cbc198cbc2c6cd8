// `:app` — the Compose app: renders the engine's view model (shared-ui-spec/) and dispatches the
// user's actions back to it; the engine, secrets, network and background uploads come from
// `:takeup`.
//
// Source sets of `main`:
//   src/main/kotlin      Android-only: Application, Activity, Compose screens, QR bitmap
//   src/portable/kotlin  plain Kotlin: the view-model → screen mapper (io.takeup.app.present),
//                        also compiled and unit-tested by scripts/test-kotlin.sh
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

fun prop(name: String, default: String = ""): String = providers.gradleProperty(name).getOrElse(default)

fun quoted(s: String): String = "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

android {
    namespace = "io.takeup.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "io.takeup.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"

        // Engine configuration (gradle.properties / -P / ORG_GRADLE_PROJECT_takeup.*). The client
        // secret ends up in the APK: it is the C2C device-flow client's secret, not a user's.
        buildConfigField("String", "TAKEUP_API_BASE", quoted(prop("takeup.apiBase", "https://api.frame.io")))
        buildConfigField("String", "TAKEUP_CLIENT_SECRET", quoted(prop("takeup.clientSecret")))
        // Optional PEM of an extra root CA (a test emulator); empty = none.
        buildConfigField("String", "TAKEUP_EXTRA_CA_PEM", quoted(prop("takeup.extraCaPem")))
        // Optional comma-separated upload hosts; empty = the engine's default (*.amazonaws.com).
        buildConfigField("String", "TAKEUP_UPLOAD_HOSTS", quoted(prop("takeup.uploadHosts")))
        // Sign-in with a Frame.io account: the app's OAuth client id (a public client: no secret)
        // and, for a test emulator, its applications base URL (empty = applications.frame.io).
        // The redirect URI is io.takeup.app:/oauth2redirect (AndroidManifest.xml).
        buildConfigField("String", "TAKEUP_APP_CLIENT_ID", quoted(prop("takeup.appClientId")))
        buildConfigField("String", "TAKEUP_APPLICATIONS_BASE", quoted(prop("takeup.applicationsBase")))

        // Only the ABIs the engine is built for (scripts/build-android.sh): Play then does not
        // offer the app to devices it cannot load libtakeup_ffi.so on.
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    sourceSets["main"].kotlin.srcDirs("src/main/kotlin", "src/portable/kotlin")

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        resources.excludes += "/META-INF/{AL2.0,LGPL2.1}"
        // Native libraries stored uncompressed and 16 KB-aligned in the APK (AGP 8.5.1+), loaded
        // in place: with the libraries' own 16 KiB LOAD alignment (scripts/build-android.sh) the
        // app runs on Android 15's 16 KB-page devices.
        jniLibs.useLegacyPackaging = false
    }
}

dependencies {
    implementation(project(":takeup"))

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons.extended)
    implementation(libs.zxing.core)
    implementation(libs.coil.compose)
    debugImplementation(libs.compose.ui.tooling)

    testImplementation(libs.junit)
}
