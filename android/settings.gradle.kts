// Takeup Android: the `:takeup` library (generated UniFFI bindings + Android glue: Keystore secret
// store, network monitor, WorkManager upload worker, engine holder) and the `:app` Compose app that
// renders the engine's view model (shared-ui-spec/). See README.md for the build steps.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // rustls-platform-verifier's Kotlin component (group `rustls`), published by the rustls
        // project as a Maven archive on GitHub; its version must equal the
        // `rustls-platform-verifier-android` crate version in ../Cargo.lock (see takeup/build.gradle.kts).
        maven {
            url = uri("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/")
            content { includeGroup("rustls") }
        }
    }
}

rootProject.name = "takeup-android"
include(":takeup", ":app")
