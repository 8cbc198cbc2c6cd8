// What several TakeupKit test files share: a thread-safe recorder for values delivered on other
// threads (engine listeners, background sessions, network sinks) and the lookup of the files the
// tests read from the checkout.
import Foundation

/// Collects values delivered on any thread, in order.
final class Recorder<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func add(_ item: T) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var all: [T] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

struct TestInputNotFound: Error, CustomStringConvertible {
    var what: String
    var tried: [String]
    var description: String { "\(what) not found; tried \(tried)" }
}

/// A file of the repository the tests read: from the environment variable `env` (where
/// scripts/test-swift.sh stages it), else at `relative` to this directory (a checkout on a Mac).
func testInput(env name: String, relative: String, file: StaticString = #filePath) throws -> URL {
    var candidates: [URL] = []
    if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
        candidates.append(URL(fileURLWithPath: value))
    }
    candidates.append(
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
            .appendingPathComponent(relative).standardizedFileURL)
    guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
        throw TestInputNotFound(what: relative, tried: candidates.map(\.path))
    }
    return url
}
