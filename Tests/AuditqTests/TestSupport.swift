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
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a program to completion; stdin from `input` (or /dev/null).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                    environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
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
        return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// `auditq ARGS…`
    @discardableResult
    static func auditq(_ arguments: [String], input: Data? = nil) throws -> Result {
        try run(auditq, arguments, input: input)
    }

    final class DataBox: @unchecked Sendable { var data = Data() }

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
