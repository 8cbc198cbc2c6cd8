package io.takeup.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Cable
import androidx.compose.material.icons.filled.CloudOff
import androidx.compose.material.icons.filled.NetworkCheck
import androidx.compose.material.icons.filled.PauseCircle
import androidx.compose.material.icons.filled.SignalCellularAlt
import androidx.compose.material.icons.filled.Wifi
import androidx.compose.material3.AssistChip
import androidx.compose.material3.AssistChipDefaults
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import coil.compose.AsyncImage
import io.takeup.app.present.Button as ButtonModel
import io.takeup.app.present.Emphasis
import io.takeup.app.present.Intent
import io.takeup.app.present.NetworkChip
import io.takeup.app.present.NoticeModel
import io.takeup.app.present.Tone
import io.takeup.app.present.UserCard
import io.takeup.core.types.ConnectionType

@Composable
fun toneColor(tone: Tone): Color = when (tone) {
    Tone.GOOD -> Color(0xFF2E7D32)
    Tone.WARNING -> Color(0xFFF9A825)
    Tone.BAD -> MaterialTheme.colorScheme.error
    Tone.NEUTRAL -> MaterialTheme.colorScheme.onSurfaceVariant
}

/** The network status: type icon, health colour, the engine's label (type · health · speed · latency). */
@Composable
fun NetworkChipView(chip: NetworkChip) {
    val icon = when {
        chip.type == null -> Icons.Filled.CloudOff
        chip.type == ConnectionType.WIFI -> Icons.Filled.Wifi
        chip.type == ConnectionType.CELLULAR -> Icons.Filled.SignalCellularAlt
        chip.type == ConnectionType.ETHERNET -> Icons.Filled.Cable
        else -> Icons.Filled.NetworkCheck
    }
    var expanded by remember { mutableStateOf(false) }
    AssistChip(
        onClick = { expanded = !expanded },
        label = { Text(if (expanded) chip.label else chip.typeText, maxLines = 1) },
        leadingIcon = { Icon(icon, contentDescription = null, tint = toneColor(chip.tone)) },
        colors = AssistChipDefaults.assistChipColors(),
        modifier = Modifier.padding(end = 8.dp).semantics { contentDescription = chip.label },
    )
}

@Composable
fun NoticeView(n: NoticeModel) {
    Surface(color = MaterialTheme.colorScheme.tertiaryContainer, modifier = Modifier.fillMaxWidth()) {
        Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            Icon(Icons.Filled.PauseCircle, contentDescription = null, tint = toneColor(n.tone))
            Text(n.text, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onTertiaryContainer)
        }
    }
}

/** The signed-in user's picture, or initials when there is none (or it does not load). */
@Composable
fun Avatar(user: UserCard, size: Int = 48) {
    Box(
        Modifier.size(size.dp).clip(CircleShape).background(MaterialTheme.colorScheme.primaryContainer),
        contentAlignment = Alignment.Center,
    ) {
        Text(user.initials, style = MaterialTheme.typography.titleMedium, color = MaterialTheme.colorScheme.onPrimaryContainer)
        if (user.avatarUrl != null) {
            AsyncImage(model = user.avatarUrl, contentDescription = "Profile picture of ${user.name}", modifier = Modifier.size(size.dp).clip(CircleShape))
        }
    }
}

@Composable
fun ActionButton(b: ButtonModel, onIntent: (Intent) -> Unit, modifier: Modifier = Modifier) {
    when (b.emphasis) {
        Emphasis.PRIMARY -> Button(onClick = { onIntent(b.intent) }, modifier = modifier) { Text(b.label) }
        Emphasis.DESTRUCTIVE -> TextButton(
            onClick = { onIntent(b.intent) },
            colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
            modifier = modifier,
        ) { Text(b.label) }
        Emphasis.SECONDARY -> OutlinedButton(onClick = { onIntent(b.intent) }, modifier = modifier) { Text(b.label) }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ButtonRow(buttons: List<ButtonModel>, onIntent: (Intent) -> Unit, modifier: Modifier = Modifier) {
    if (buttons.isEmpty()) return
    FlowRow(modifier = modifier.fillMaxWidth(), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        buttons.forEach { ActionButton(it, onIntent) }
    }
}
