// Importing picked media into the app's folder: a copy that keeps the original's creation and
// modification times. The engine computes the pause rule's `offset` from the file's creation time
// (the earlier of creation and modification), so a copy with new times would upload media shot
// while the device was paused. Plain Foundation; the app calls it off the main thread (clips are
// several GB).
import Foundation

public enum MediaImport {
    /// Copies `source` into `directory` (created if needed) under its own name, or the name with
    /// a short random suffix when taken, and gives the copy the source's creation and
    /// modification times. Returns the copy.
    public static func copy(_ source: URL, into directory: URL) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        var dest = directory.appendingPathComponent(source.lastPathComponent)
        if fm.fileExists(atPath: dest.path) {
            let stem = dest.deletingPathExtension().lastPathComponent
            dest = directory.appendingPathComponent("\(stem)-\(UUID().uuidString.prefix(8))")
            if !source.pathExtension.isEmpty { dest = dest.appendingPathExtension(source.pathExtension) }
        }
        let original = try fm.attributesOfItem(atPath: source.path)
        try fm.copyItem(at: source, to: dest)
        var times: [FileAttributeKey: Any] = [:]
        if let m = original[.modificationDate] as? Date { times[.modificationDate] = m }
        if !times.isEmpty { try fm.setAttributes(times, ofItemAtPath: dest.path) }
        // The creation time where the file system can set it (APFS); elsewhere the engine falls
        // back to the modification time, which is never later than a copy's creation.
        if let c = original[.creationDate] as? Date {
            try? fm.setAttributes([.creationDate: c], ofItemAtPath: dest.path)
        }
        return dest
    }
}
