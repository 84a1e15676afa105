import Foundation
import XCTest

/// Shared helpers: the built binaries, the shared corpus, temp directories,
/// and running a command to completion.
enum TestSupport {
    /// The folder holding the built `auditq` and `auditqd`.
    static var productsDirectory: URL {
        let xctest = Bundle.main.bundleURL
        if xctest.pathExtension == "xctest" { return xctest.deletingLastPathComponent() }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    static var auditq: String { productsDirectory.appendingPathComponent("auditq").path }

    /// The repository root (Package.swift's folder).
    static var repository: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("no Package.swift above \(#filePath)")
    }

    /// ../shared/corpus/audit beside the checkout.
    static var corpus: URL {
        repository.deletingLastPathComponent().appendingPathComponent("shared/corpus/audit")
    }

    /// Under AUDITQ_TEST_STRICT=1 (what .ci/run sets) a test whose
    /// prerequisite is missing (a tool, root, the corpus, a kernel feature)
    /// fails instead of being skipped: CI cannot pass by running less.
    static var strict: Bool { ProcessInfo.processInfo.environment["AUDITQ_TEST_STRICT"] == "1" }

    struct MissingPrerequisite: Error, CustomStringConvertible {
        var reason: String
        var description: String { "missing prerequisite (AUDITQ_TEST_STRICT=1 makes this a failure): \(reason)" }
    }

    /// What a test throws when it cannot run here: a skip, or under
    /// AUDITQ_TEST_STRICT=1 a failure.
    static func missing(_ reason: String) -> Error {
        strict ? MissingPrerequisite(reason: reason) : XCTSkip(reason)
    }

    /// The corpus logs (README.md left out); missing() when there are none,
    /// so a test looping over them never passes having seen nothing.
    static func corpusLogs() throws -> [URL] {
        let files = corpusFiles().filter { $0.lastPathComponent != "README.md" }
        if files.isEmpty { throw missing("no corpus at \(corpus.path)") }
        return files
    }

    static func corpusFiles() -> [URL] {
        let fm = FileManager.default
        guard let dirs = try? fm.contentsOfDirectory(atPath: corpus.path) else { return [] }
        var files: [URL] = []
        for dir in dirs.sorted() {
            let d = corpus.appendingPathComponent(dir)
            for name in ((try? fm.contentsOfDirectory(atPath: d.path)) ?? []).sorted() {
                files.append(d.appendingPathComponent(name))
            }
        }
        return files
    }

    static func temporaryDirectory(_ name: String = #function) -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("auditq-test-\(safe)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        /// Ended by a signal (`status` is its number): a crash, for auditq.
        var signaled = false
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a program to completion; stdin from `input` (or /dev/null).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                    environment: [String: String]? = nil, in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(input)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errBox.data, as: UTF8.self),
                      signaled: process.terminationReason == .uncaughtSignal)
    }

    /// `auditq ARGS…`
    @discardableResult
    static func auditq(_ arguments: [String], input: Data? = nil) throws -> Result {
        try run(auditq, arguments, input: input)
    }

    final class DataBox: @unchecked Sendable { var data = Data() }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes;
    /// returns whether it held. For what a test waits on (events stored, a
    /// process gone), instead of a fixed sleep.
    @discardableResult
    static func wait(timeout: TimeInterval = 20, until condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() >= end { return false }
            usleep(50_000)
        }
    }

    /// Waits until `value` has stopped changing for `quiet` seconds (e.g. a
    /// collector's event count once the workload's records are all in),
    /// at most `timeout`; returns the last value.
    @discardableResult
    static func waitUntilSteady<T: Equatable>(quiet: TimeInterval = 0.5, timeout: TimeInterval = 20, _ value: () throws -> T) rethrows -> T {
        let end = Date().addingTimeInterval(timeout)
        var last = try value(), since = Date()
        while Date() < end {
            usleep(100_000)
            let now = try value()
            if now != last { last = now; since = Date() } else if Date().timeIntervalSince(since) >= quiet { break }
        }
        return last
    }

    /// How many events of `store` match `filter` (auditq search options);
    /// 0 while the store does not exist yet.
    static func storedCount(_ store: String, _ filter: [String] = []) -> Int {
        guard FileManager.default.fileExists(atPath: store),
              let r = try? auditq(["search", "--store", store, "--format", "json"] + filter) else { return 0 }
        return r.out.split(separator: "\n").count
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] {
            let path = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A loopback listener the workload connects to; returns its port.
    static func loopbackListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 8)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
