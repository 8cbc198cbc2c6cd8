package io.takeup.app.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics

/**
 * The pairing QR code (content: the view's `qrContent`, the verification URL with the code),
 * drawn as squares on a white background so any camera app can scan it in dark mode too.
 */
@Composable
fun QrCode(content: String, description: String, modifier: Modifier = Modifier) {
    val modules = remember(content) { runCatching { qrModules(content) }.getOrNull() } ?: return
    Canvas(
        modifier
            .aspectRatio(1f)
            .semantics { contentDescription = description },
    ) {
        drawRect(Color.White)
        val n = modules.size
        val cell = size.minDimension / n
        for (y in 0 until n) {
            val row = modules[y]
            for (x in 0 until n) {
                if (row[x]) {
                    drawRect(Color.Black, topLeft = Offset(x * cell, y * cell), size = Size(cell + 0.5f, cell + 0.5f))
                }
            }
        }
    }
}
