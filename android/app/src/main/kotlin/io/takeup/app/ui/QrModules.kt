// QR encoding with ZXing core (plain JVM code; compile-checked against Debian's libzxing-core-java,
// see android/README.md).
package io.takeup.app.ui

import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.qrcode.QRCodeWriter
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel

/** The QR modules of [content] (true = dark), with a quiet zone of [margin] modules. */
fun qrModules(content: String, margin: Int = 2): Array<BooleanArray> {
    val hints = mapOf(
        EncodeHintType.ERROR_CORRECTION to ErrorCorrectionLevel.M,
        EncodeHintType.MARGIN to margin,
        EncodeHintType.CHARACTER_SET to "UTF-8",
    )
    // Size 0: the writer returns one pixel per module.
    val m = QRCodeWriter().encode(content, BarcodeFormat.QR_CODE, 0, 0, hints)
    return Array(m.height) { y -> BooleanArray(m.width) { x -> m.get(x, y) } }
}

