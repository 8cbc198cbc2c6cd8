package io.takeup.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.RadioButtonChecked
import androidx.compose.material.icons.filled.RadioButtonUnchecked
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import io.takeup.app.present.ClipModel
import io.takeup.app.present.Intent
import io.takeup.app.present.NoteModel
import io.takeup.app.present.TakeLogScreen
import io.takeup.app.present.Tone

/**
 * The take log (the tablet companion): how many notes wait, the real-time logging trigger, then
 * every clip newest first with its scene and take (a form), the circle-take switch, a note field,
 * and its notes, each sent, waiting (and for what) or refused with Send again.
 */
@Composable
fun TakeLogScreenView(t: TakeLogScreen, onIntent: (Intent) -> Unit) {
    LazyColumn(
        modifier = Modifier.fillMaxWidth(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        item(key = "summary") {
            Text(t.summary, style = MaterialTheme.typography.titleMedium, color = toneColor(if (t.waiting > 0) Tone.WARNING else Tone.GOOD))
        }
        t.addTrigger?.let { trigger -> item(key = "trigger") { TriggerRow(t.addTriggerLabel, trigger, onIntent) } }
        items(t.triggers, key = { "t-" + it.id }) { NoteView(it, onIntent) }
        items(t.clips, key = { "c-" + it.fileId }) { ClipCard(it, onIntent) }
    }
}

@Composable
private fun TriggerRow(label: String, trigger: (UInt, UInt) -> Intent, onIntent: (Intent) -> Unit) {
    var channel by remember { mutableStateOf("0") }
    var input by remember { mutableStateOf("0") }
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        val number = KeyboardOptions(keyboardType = KeyboardType.Number)
        OutlinedTextField(channel, { channel = it.filter(Char::isDigit).take(3) }, label = { Text("Channel") }, keyboardOptions = number, modifier = Modifier.width(96.dp))
        OutlinedTextField(input, { input = it.filter(Char::isDigit).take(2) }, label = { Text("Input") }, keyboardOptions = number, modifier = Modifier.width(96.dp))
        val c = channel.toUIntOrNull()
        val i = input.toUIntOrNull()
        Button(onClick = { if (c != null && i != null) onIntent(trigger(c, i)) }, enabled = c != null && i != null) { Text(label) }
    }
}

@Composable
private fun ClipCard(c: ClipModel, onIntent: (Intent) -> Unit) {
    var editing by remember(c.fileId) { mutableStateOf(false) }
    var scene by remember(c.fileId, c.scene) { mutableStateOf(c.scene) }
    var take by remember(c.fileId, c.take) { mutableStateOf(c.take) }
    var note by remember(c.fileId) { mutableStateOf("") }
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f)) {
                    Text(c.title, style = MaterialTheme.typography.titleMedium)
                    Text(c.clip, style = MaterialTheme.typography.bodySmall, maxLines = 1, overflow = TextOverflow.Ellipsis)
                    Text(c.detail, style = MaterialTheme.typography.labelMedium)
                }
                c.toggleCircle?.let { toggle ->
                    FilterChip(
                        selected = c.circled,
                        onClick = { onIntent(toggle) },
                        label = { Text(c.labels.toggleCircle) },
                        leadingIcon = { Icon(if (c.circled) Icons.Filled.RadioButtonChecked else Icons.Filled.RadioButtonUnchecked, contentDescription = null) },
                    )
                }
            }
            val log = c.logTake
            if (log != null) {
                if (editing) {
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                        OutlinedTextField(scene, { scene = it }, label = { Text("Scene") }, singleLine = true, modifier = Modifier.weight(1f))
                        OutlinedTextField(take, { take = it }, label = { Text("Take") }, singleLine = true, modifier = Modifier.weight(1f))
                        Button(onClick = {
                            onIntent(log(scene, take))
                            editing = false
                        }) { Text(c.labels.logTake) }
                    }
                } else {
                    OutlinedButton(onClick = { editing = true }) { Text(c.labels.logTake) }
                }
            }
            c.addNote?.let { add ->
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                    OutlinedTextField(
                        note,
                        { note = it },
                        label = { Text("Note") },
                        keyboardOptions = KeyboardOptions(imeAction = ImeAction.Send),
                        modifier = Modifier.weight(1f),
                    )
                    Button(onClick = {
                        onIntent(add(note, null))
                        note = ""
                    }, enabled = note.isNotBlank()) { Text(c.labels.addNote) }
                }
            }
            c.notes.forEach { NoteView(it, onIntent) }
        }
    }
}

@Composable
private fun NoteView(n: NoteModel, onIntent: (Intent) -> Unit) {
    Column(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Text(n.text, style = MaterialTheme.typography.bodyMedium)
        Text(n.detail, color = toneColor(n.tone), style = MaterialTheme.typography.labelSmall)
        ButtonRow(n.buttons, onIntent)
    }
}
