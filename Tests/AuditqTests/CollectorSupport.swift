import Foundation
import XCTest

/// An `auditqd` started by a test: its stderr is collected, it is stopped by
/// its own pid (SIGTERM, or SIGKILL for the crash tests), never by name.
final class AuditqdProcess {
    let process = Process()
    private let errPipe = Pipe()
    private let errBox = TestSupport.DataBox()
    private let lock = NSLock()
    let inPipe = Pipe()

    static var executable: String { TestSupport.productsDirectory.appendingPathComponent("auditqd").path }

    /// Starts `auditqd ARGS…`; with `stdin: true` the test writes to `inPipe`.
    init(_ arguments: [String], stdin: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errPipe
        process.standardInput = stdin ? inPipe : FileHandle.nullDevice
        let box = errBox, lock = self.lock
        errPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lock.lock(); box.data.append(data); lock.unlock()
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    var stderr: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: errBox.data, as: UTF8.self)
    }

    /// Waits until stderr contains `text` (the collector's start line), or
    /// the process ends, or `timeout` passes.
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 20) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// SIGTERM, then waits for the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 30) -> Int32 {
        if process.isRunning { kill(pid, signal) }
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        errPipe.fileHandleForReading.readabilityHandler = nil
        let rest = errPipe.fileHandleForReading.readDataToEndOfFile()
        lock.lock(); errBox.data.append(rest); lock.unlock()
        return process.terminationStatus
    }

    /// SIGKILL: the crash the ledger must notice.
    func kill9() {
        _ = stop(signal: SIGKILL)
    }

    deinit { if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() } }
}
