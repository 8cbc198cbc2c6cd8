package io.takeup.app

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.core.content.ContextCompat
import io.takeup.android.signin.SignInRedirect
import io.takeup.android.work.UploadScheduler
import io.takeup.app.ui.TakeupApp
import io.takeup.app.ui.TakeupTheme

class MainActivity : ComponentActivity() {
    private val model: AppViewModel by viewModels()

    private val pickFiles = registerForActivityResult(ActivityResultContracts.OpenMultipleDocuments()) { uris ->
        if (uris.isNotEmpty()) model.addFiles(uris)
    }

    private val notificationPermission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        // The upload progress notification (Android 13+ asks the user).
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(this, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            notificationPermission.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
        handleSignInAnswer(intent)
        setContent {
            TakeupTheme {
                TakeupApp(
                    model = model,
                    onAddFiles = { pickFiles.launch(arrayOf("video/*", "audio/*", "image/*", "*/*")) },
                )
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        handleSignInAnswer(intent)
    }

    /** The Custom Tab of a sign-in ended on the app's redirect URI (singleTop: delivered here). */
    private fun handleSignInAnswer(intent: Intent?) {
        val data = intent?.dataString
        if (SignInRedirect.isAnswer(data)) model.completeSignIn(data!!)
    }

    override fun onStart() {
        super.onStart()
        // The user opened the app: Android 15's dataSync budget starts over, and the device is
        // re-read (a project renamed or a pause made in Frame.io shows at once).
        UploadScheduler.appCameToForeground(this)
        model.appForeground()
    }

    override fun onStop() {
        UploadScheduler.appLeftForeground()
        super.onStop()
    }
}
