package io.takeup.android.engine

import android.content.Context
import android.util.Log
import io.takeup.android.network.NetworkMonitor
import io.takeup.android.secrets.KeystoreSecretStore
import io.takeup.core.TakeupAndroid
import io.takeup.core.TakeupEngine
import io.takeup.core.initLogging
import io.takeup.core.startEngine
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** Implemented by the app's `Application`: the engine settings (API base, client secret, version). */
interface TakeupHost {
    fun engineSettings(): EngineSettings
}

/**
 * One engine per process, started on first use by the UI or by [io.takeup.android.work.UploadWorker]
 * (the process may have been launched only for background work): platform init
 * (`TakeupAndroid.initPlatform`, once), logging, `startEngine` with the state dir in `filesDir`
 * and the Keystore secret store, then the [NetworkMonitor]. A failed start is not cached: the next
 * [get] tries again.
 */
object EngineHolder {
    private val mutex = Mutex()

    @Volatile
    private var engine: TakeupEngine? = null
    private var monitor: NetworkMonitor? = null
    private var platformReady = false

    /** The running engine, or null before the first successful [get]. */
    fun peek(): TakeupEngine? = engine

    /** The engine, started if needed. Throws the engine's `TakeupException` when it cannot start. */
    suspend fun get(context: Context): TakeupEngine {
        engine?.let { return it }
        return mutex.withLock {
            engine ?: start(context.applicationContext).also { engine = it }
        }
    }

    private suspend fun start(app: Context): TakeupEngine {
        if (!platformReady) {
            TakeupAndroid.initPlatform(app)
            initLogging("info")
            platformReady = true
        }
        val host = app as? TakeupHost
            ?: error("the Application must implement io.takeup.android.engine.TakeupHost")
        val started = startEngine(host.engineSettings().toConfig(app.filesDir), KeystoreSecretStore.create(app))
        monitor = NetworkMonitor(app, started).also { it.start() }
        Log.i("takeup", "engine started")
        return started
    }
}
