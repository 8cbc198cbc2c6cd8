package io.takeup.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.KeyboardArrowRight
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import io.takeup.app.present.CodeCard
import io.takeup.app.present.ConnectionScreen
import io.takeup.app.present.Intent
import io.takeup.app.present.Picker
import io.takeup.app.present.PickerItem
import io.takeup.app.present.UserCard

/**
 * The connection manager: one layout for every state of the spec. What is set on the
 * [ConnectionScreen] is drawn: title and message, the user card (name, email, avatar), the pairing
 * code (QR, link, user code, countdown), a picker (accounts; projects with search), the connected
 * project, a progress bar while busy, and the state's buttons (cancel is offered at every step).
 */
@Composable
fun ConnectionManager(c: ConnectionScreen, onIntent: (Intent) -> Unit) {
    LazyColumn(
        modifier = Modifier.fillMaxWidth(),
        contentPadding = androidx.compose.foundation.layout.PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item(key = "header") {
            Card(
                colors = if (c.isError) {
                    CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer)
                } else {
                    CardDefaults.cardColors()
                },
                modifier = Modifier.fillMaxWidth(),
            ) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                    Text(c.title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                    c.user?.let { UserRow(it) }
                    c.projectName?.let { ProjectLine(it, c.deviceName, connected = c.stateId == "connected") }
                    c.message?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
                    if (c.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
                    c.code?.let { CodeView(it, onIntent) }
                    ButtonRow(c.buttons, onIntent)
                }
            }
        }
        when (val p = c.picker) {
            is Picker.Accounts -> {
                item(key = "accounts-title") { Text("Accounts", style = MaterialTheme.typography.titleMedium) }
                items(p.items, key = { "a-" + it.id }) { PickerRow(it, onIntent) }
            }
            is Picker.Projects -> {
                item(key = "projects-title") {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        Text("Projects in ${p.accountName}", style = MaterialTheme.typography.titleMedium)
                        ProjectSearch(p, onIntent)
                        Text(p.countText, style = MaterialTheme.typography.labelMedium)
                        p.emptyText?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
                    }
                }
                items(p.items, key = { "p-" + it.id }) { PickerRow(it, onIntent) }
            }
            null -> {}
        }
    }
}

@Composable
private fun UserRow(u: UserCard) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
        Avatar(u)
        Column {
            Text(u.name, style = MaterialTheme.typography.titleMedium)
            Text(u.email, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
    }
}

@Composable
private fun ProjectLine(name: String, device: String?, connected: Boolean) {
    Column {
        Text(if (connected) "Project" else "Connecting to", style = MaterialTheme.typography.labelMedium)
        Text(name, style = MaterialTheme.typography.headlineSmall, fontWeight = FontWeight.SemiBold)
        device?.let { Text("This device: $it", style = MaterialTheme.typography.bodySmall) }
    }
}

/** The pairing code: QR (scanned by the user's phone), the tappable link, the code, the countdown. */
@Composable
private fun CodeView(code: CodeCard, onIntent: (Intent) -> Unit) {
    Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.fillMaxWidth()) {
        code.attemptNote?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        if (code.qrContent.isNotEmpty()) {
            QrCode(code.qrContent, description = "QR code to connect this device", modifier = Modifier.widthIn(max = 240.dp).fillMaxWidth())
        }
        if (code.linkUrl != null && code.linkText != null) {
            Text(
                code.linkText,
                color = MaterialTheme.colorScheme.primary,
                textDecoration = TextDecoration.Underline,
                style = MaterialTheme.typography.bodyLarge,
                modifier = Modifier.clickable { onIntent(Intent.OpenUrl(code.linkUrl)) },
            )
        }
        Text("Code", style = MaterialTheme.typography.labelMedium)
        Text(code.userCode, fontFamily = FontFamily.Monospace, fontSize = 36.sp, fontWeight = FontWeight.Bold, letterSpacing = 4.sp)
        Text(code.countdownText, style = MaterialTheme.typography.bodyMedium)
        code.deviceName?.let { Text("Shows in Frame.io as “$it”", style = MaterialTheme.typography.bodySmall) }
    }
}

@Composable
private fun ProjectSearch(p: Picker.Projects, onIntent: (Intent) -> Unit) {
    var text by remember(p.accountName) { mutableStateOf(p.query) }
    OutlinedTextField(
        value = text,
        onValueChange = {
            text = it
            onIntent(p.search(it))
        },
        label = { Text("Search projects") },
        leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
        singleLine = true,
        keyboardOptions = KeyboardOptions(imeAction = ImeAction.Search),
        modifier = Modifier.fillMaxWidth(),
    )
}

@Composable
private fun PickerRow(item: PickerItem, onIntent: (Intent) -> Unit) {
    Column {
        ListItem(
            headlineContent = { Text(item.title) },
            trailingContent = { Icon(Icons.AutoMirrored.Filled.KeyboardArrowRight, contentDescription = null) },
            modifier = Modifier.clickable { onIntent(item.intent) },
        )
        HorizontalDivider()
    }
}
