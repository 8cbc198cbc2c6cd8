package io.takeup.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import io.takeup.app.present.BannerModel
import io.takeup.app.present.Intent
import io.takeup.app.present.QueueScreen
import io.takeup.app.present.RowModel

/**
 * The upload queue: the auto/manual switch, the banner (uploading / waiting and why / all done),
 * files and bytes remaining, the current file's progress, the queue commands (pause/resume,
 * cancel all, select all, upload selected), then the sections with a row per file (state, detail
 * with reason, progress, a checkbox in manual mode, and a menu: move to top, cancel, retry).
 */
@Composable
fun QueueScreenView(q: QueueScreen, onIntent: (Intent) -> Unit) {
    LazyColumn(
        modifier = Modifier.fillMaxWidth(),
        contentPadding = PaddingValues(start = 16.dp, end = 16.dp, top = 16.dp, bottom = 96.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        item(key = "mode") {
            Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.fillMaxWidth()) {
                Column(Modifier.weight(1f)) {
                    Text(if (q.auto) "Auto upload" else "Manual selection", style = MaterialTheme.typography.titleMedium)
                    Text(q.modeText, style = MaterialTheme.typography.bodySmall)
                }
                Switch(checked = q.auto, onCheckedChange = { onIntent(q.modeToggle) })
            }
        }
        item(key = "banner") { Banner(q.banner, q, onIntent) }
        q.current?.let { cur ->
            item(key = "current") {
                Card(Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                        Text("Now uploading", style = MaterialTheme.typography.labelMedium)
                        Text(cur.name, style = MaterialTheme.typography.titleMedium, maxLines = 1, overflow = TextOverflow.Ellipsis)
                        val p = cur.progress
                        if (p != null) LinearProgressIndicator(progress = { p }, modifier = Modifier.fillMaxWidth()) else LinearProgressIndicator(Modifier.fillMaxWidth())
                        Text(cur.detail, style = MaterialTheme.typography.bodySmall)
                    }
                }
            }
        }
        q.sections.forEach { section ->
            item(key = "s-" + section.stateId) {
                Text(section.title, style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 12.dp))
            }
            items(section.rows, key = { "r-" + section.stateId + "-" + it.id }) { row -> FileRowView(row, onIntent) }
        }
    }
}

@Composable
private fun Banner(b: BannerModel, q: QueueScreen, onIntent: (Intent) -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(b.title, style = MaterialTheme.typography.titleLarge, color = toneColor(b.tone))
            b.detail?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
            Text(q.summary, style = MaterialTheme.typography.bodySmall)
            q.selectionText?.let { Text(it, style = MaterialTheme.typography.labelLarge) }
            ButtonRow(q.buttons, onIntent)
        }
    }
}

@Composable
private fun FileRowView(row: RowModel, onIntent: (Intent) -> Unit) {
    var menu by remember { mutableStateOf(false) }
    Column {
        ListItem(
            leadingContent = if (row.selectable) {
                { Checkbox(checked = row.selected, onCheckedChange = { row.toggle?.let(onIntent) }) }
            } else {
                null
            },
            headlineContent = { Text(row.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
            supportingContent = {
                Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text("${row.stateText} · ${row.kindText}", color = toneColor(row.tone), style = MaterialTheme.typography.labelMedium)
                    if (row.detail.isNotEmpty()) Text(row.detail, style = MaterialTheme.typography.bodySmall)
                    row.progress?.let { p -> LinearProgressIndicator(progress = { p }, modifier = Modifier.fillMaxWidth()) }
                }
            },
            trailingContent = if (row.buttons.isNotEmpty()) {
                {
                    Box {
                        IconButton(onClick = { menu = true }) { Icon(Icons.Filled.MoreVert, contentDescription = "Actions for ${row.name}") }
                        DropdownMenu(expanded = menu, onDismissRequest = { menu = false }) {
                            row.buttons.forEach { b ->
                                DropdownMenuItem(text = { Text(b.label) }, onClick = {
                                    menu = false
                                    onIntent(b.intent)
                                })
                            }
                        }
                    }
                }
            } else {
                null
            },
        )
        HorizontalDivider()
    }
}
