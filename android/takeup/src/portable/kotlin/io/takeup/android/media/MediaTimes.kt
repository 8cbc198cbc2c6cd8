// The original time of imported media. A copy into the app's folder gets new file times, but the
// engine computes the pause rule's `offset` from a file's creation time (the earlier of creation
// and modification: a copied file keeps its original modification time only if we set it), so
// media shot while the device was paused would upload after an import. The import sets the
// copy's modification time to the original's.
package io.takeup.android.media

object MediaTimes {
    /**
     * The original time (Unix ms) from what the content provider reports: the document's last
     * modification (`DocumentsContract` `last_modified`, ms), MediaStore's capture time
     * (`datetaken`, ms) and its modification time (`date_modified`, seconds). The earliest
     * plausible one wins (a capture is never after the file's modification); null when none is
     * known (the copy keeps its own times).
     */
    fun originalMillis(lastModifiedMs: Long?, dateTakenMs: Long?, dateModifiedSec: Long?): Long? =
        listOfNotNull(lastModifiedMs, dateTakenMs, dateModifiedSec?.let { it * 1000 })
            .filter { it > 0 }
            .minOrNull()
}
