// Root build: plugin versions (gradle/libs.versions.toml; the modules apply them) and what every
// module shares: one dependency rule, the Kotlin JVM target, the unit tests' spec property.
import org.gradle.api.provider.ValueSource
import org.gradle.api.provider.ValueSourceParameters

plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.compose) apply false
}

// rustls-platform-verifier's Kotlin component must have exactly the version of the
// `rustls-platform-verifier-android` crate the Rust library was built with (from its README).
abstract class RustlsVersion : ValueSource<String, RustlsVersion.Params> {
    interface Params : ValueSourceParameters {
        val lockFile: RegularFileProperty
    }

    companion object {
        const val CRATE_NAME = "rustls-platform-verifier-android"
    }

    override fun obtain(): String {
        val lines = parameters.lockFile.get().asFile.readLines()
        val nameIdx = lines.indexOfFirst { it.trim() == "name = \"$CRATE_NAME\"" }
        val version = if (nameIdx < 0) null else lines.drop(nameIdx + 1)
            .firstOrNull { it.trimStart().startsWith("version = ") }
            ?.substringAfter('"', "")
            ?.substringBefore('"', "")
            ?.takeIf { it.isNotEmpty() }
        return version ?: error("$CRATE_NAME not found in ${parameters.lockFile.get().asFile}")
    }
}

val rustlsPlatformVerifierVersion = providers.of(RustlsVersion::class.java) {
    parameters.lockFile.set(File(rootProject.layout.projectDirectory.asFile.parentFile, "Cargo.lock"))
}

// Every module (`:takeup` declares the dependency, `:app` resolves it transitively): a rule
// registered only in `:takeup` left `:app`'s classpaths asking for a version-less artifact.
// Both modules also compile Kotlin for Java 17 (their `compileOptions` say 17 for Java) and run
// their unit tests with the shared UI spec (read by the app's spec test; scripts/test-kotlin.sh
// passes the same property).
subprojects {
    plugins.withId("org.jetbrains.kotlin.android") {
        extensions.configure<org.jetbrains.kotlin.gradle.dsl.KotlinAndroidProjectExtension> {
            compilerOptions {
                jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
            }
        }
    }
    tasks.withType<Test>().configureEach {
        systemProperty("takeup.specFile", File(rootDir.parentFile, "shared-ui-spec/spec.json").path)
    }

    configurations.configureEach {
        resolutionStrategy.eachDependency {
            if (requested.group == "rustls" && requested.name == "rustls-platform-verifier") {
                useVersion(rustlsPlatformVerifierVersion.get())
                because("must equal the rustls-platform-verifier-android crate version in Cargo.lock")
            }
        }
    }
}
