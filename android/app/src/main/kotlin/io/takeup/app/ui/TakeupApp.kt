package io.takeup.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.CloudUpload
import androidx.compose.material.icons.filled.EditNote
import androidx.compose.material.icons.filled.Link
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.SnackbarResult
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalUriHandler
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.takeup.android.signin.SignInBrowser
import io.takeup.app.AppViewModel
import io.takeup.app.UiState
import io.takeup.app.present.Intent
import io.takeup.app.present.Present
import io.takeup.app.present.Screen

/**
 * The app: a top bar with the network chip, the notices (device paused), and two tabs — the
 * connection manager and the upload queue. Everything shown comes from the engine's view through
 * [io.takeup.app.present.Present]; controls send [Intent]s (engine actions or URLs to open).
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun TakeupApp(model: AppViewModel, onAddFiles: () -> Unit) {
    val state by model.state.collectAsStateWithLifecycle()
    val uriHandler = LocalUriHandler.current
    val context = LocalContext.current
    val onIntent: (Intent) -> Unit = { intent ->
        when (intent) {
            is Intent.Dispatch -> model.dispatch(intent.action)
            // The sign-in page in a Custom Tab; its answer returns through MainActivity.
            is Intent.OpenUrl -> runCatching {
                if (intent.signIn) SignInBrowser.open(context, intent.url) else uriHandler.openUri(intent.url)
            }
        }
    }
    var tab by rememberSaveable { mutableIntStateOf(0) }
    val snackbar = remember { SnackbarHostState() }
    val screen = (state as? UiState.Ready)?.screen

    // A sign-in with a Frame.io account starts: open its page once (the screen keeps a button to
    // open it again if the tab was closed).
    val signInUrl = screen?.connection?.signInUrl
    LaunchedEffect(signInUrl) {
        if (signInUrl != null && Present.isWebUrl(signInUrl)) runCatching { SignInBrowser.open(context, signInUrl) }
    }

    // The view's alert (a failed queue command...) as a snackbar; dismissing clears it in the engine.
    val alert = screen?.alert
    LaunchedEffect(alert) {
        if (alert != null) {
            val r = snackbar.showSnackbar(alert, actionLabel = "Dismiss", withDismissAction = true)
            if (r == SnackbarResult.ActionPerformed || r == SnackbarResult.Dismissed) screen?.dismissAlert?.let(onIntent)
        }
    }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text("Takeup") },
                actions = { if (screen != null) NetworkChipView(screen.network) },
            )
        },
        bottomBar = {
            NavigationBar {
                NavigationBarItem(
                    selected = tab == 0,
                    onClick = { tab = 0 },
                    icon = { Icon(Icons.Filled.Link, contentDescription = null) },
                    label = { Text("Frame.io") },
                )
                NavigationBarItem(
                    selected = tab == 1,
                    onClick = { tab = 1 },
                    icon = { Icon(Icons.Filled.CloudUpload, contentDescription = null) },
                    label = { Text(screen?.queue?.filesRemaining?.takeIf { it > 0 }?.let { "Uploads ($it)" } ?: "Uploads") },
                )
                NavigationBarItem(
                    selected = tab == 2,
                    onClick = { tab = 2 },
                    icon = { Icon(Icons.Filled.EditNote, contentDescription = null) },
                    label = { Text(screen?.takeLog?.waiting?.takeIf { it > 0 }?.let { "Take log ($it)" } ?: "Take log") },
                )
            }
        },
        floatingActionButton = {
            if (tab == 1 && screen != null) {
                ExtendedFloatingActionButton(
                    onClick = onAddFiles,
                    icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                    text = { Text("Add files") },
                )
            }
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            when (val s = state) {
                is UiState.Starting -> Centered { CircularProgressIndicator() }
                is UiState.StartFailed -> Centered {
                    Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(16.dp)) {
                        Text(s.message, textAlign = TextAlign.Center, style = MaterialTheme.typography.bodyLarge)
                        Button(onClick = { model.start() }) { Text("Try again") }
                    }
                }
                is UiState.Ready -> MainContent(s.screen, tab, onIntent)
            }
        }
    }
}

@Composable
private fun MainContent(screen: Screen, tab: Int, onIntent: (Intent) -> Unit) {
    Column(Modifier.fillMaxSize()) {
        screen.notices.forEach { NoticeView(it) }
        when (tab) {
            0 -> ConnectionManager(screen.connection, onIntent)
            1 -> QueueScreenView(screen.queue, onIntent)
            else -> TakeLogScreenView(screen.takeLog, onIntent)
        }
    }
}

@Composable
internal fun Centered(content: @Composable () -> Unit) {
    Box(Modifier.fillMaxSize().padding(24.dp), contentAlignment = Alignment.Center) { content() }
}
