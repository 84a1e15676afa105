import CLibbpf
import Foundation

/// libbpf's own messages (the verifier's log among them), kept so that a
/// failed load can say why in one line. Warnings and errors only.
enum LibbpfLog {
    nonisolated(unsafe) private static var lines: [String] = []
    private static let lock = NSLock()

    static func install() {
        auditq_libbpf_set_log { level, message in
            guard let message, level <= Int32(LIBBPF_WARN.rawValue) else { return }
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return }
            LibbpfLog.lock.lock()
            LibbpfLog.lines.append(text)
            if LibbpfLog.lines.count > 64 { LibbpfLog.lines.removeFirst(LibbpfLog.lines.count - 64) }
            LibbpfLog.lock.unlock()
        }
    }

    /// The last message libbpf printed since the previous call, if any.
    static func take() -> String? {
        lock.lock(); defer { lines.removeAll(); lock.unlock() }
        return lines.last
    }
}
