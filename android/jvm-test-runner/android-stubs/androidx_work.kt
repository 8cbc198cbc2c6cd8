// Type-check stand-ins for the Android/AndroidX API surface the glue code uses (only the members it
// calls, same names and types as the SDK). Compiled by scripts/test-kotlin.sh so the Android-only
// glue (android/takeup/src/main/kotlin, the app's AppViewModel and TakeupApplication) is checked
// against the generated bindings on every run. Never run; not a model of Android behaviour.
@file:Suppress("unused", "UNUSED_PARAMETER")
package androidx.work
import java.util.concurrent.TimeUnit
class WorkerParameters
class ForegroundInfo { constructor(id: Int, n: android.app.Notification); constructor(id: Int, n: android.app.Notification, type: Int) }
class WorkInfo(val state: State) {
    enum class State { ENQUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, CANCELLED }
    companion object { const val STOP_REASON_FOREGROUND_SERVICE_TIMEOUT = -128; const val STOP_REASON_CANCELLED_BY_APP = 1 }
}
abstract class ListenableWorker(val applicationContext: android.content.Context, p: WorkerParameters) {
    val stopReason: Int get() = 0
    abstract class Result { companion object { fun success(): Result = TODO(); fun retry(): Result = TODO() } }
}
abstract class CoroutineWorker(c: android.content.Context, p: WorkerParameters) : ListenableWorker(c, p) {
    abstract suspend fun doWork(): Result
    open suspend fun getForegroundInfo(): ForegroundInfo = TODO()
    suspend fun setForeground(f: ForegroundInfo) {}
}
enum class BackoffPolicy { LINEAR, EXPONENTIAL }
enum class NetworkType { CONNECTED }
enum class ExistingWorkPolicy { KEEP, REPLACE, APPEND_OR_REPLACE }
enum class OutOfQuotaPolicy { RUN_AS_NON_EXPEDITED_WORK_REQUEST }
class Constraints { class Builder { fun setRequiredNetworkType(t: NetworkType) = this; fun build() = Constraints() } }
class OneTimeWorkRequest { class Builder(c: Class<out ListenableWorker>) {
    fun setConstraints(c: Constraints) = this; fun setExpedited(p: OutOfQuotaPolicy) = this
    fun setBackoffCriteria(p: BackoffPolicy, d: Long, u: TimeUnit) = this; fun addTag(t: String) = this; fun build() = OneTimeWorkRequest() } }
inline fun <reified W : ListenableWorker> OneTimeWorkRequestBuilder(): OneTimeWorkRequest.Builder = OneTimeWorkRequest.Builder(W::class.java)
class WorkManager { fun enqueueUniqueWork(n: String, p: ExistingWorkPolicy, r: OneTimeWorkRequest): Any = Unit
    fun getWorkInfosForUniqueWork(n: String): java.util.concurrent.Future<List<WorkInfo>> = TODO()
    companion object { fun getInstance(c: android.content.Context): WorkManager = WorkManager() } }
