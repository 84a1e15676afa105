import Foundation
import XCTest

/// A real auditd with its own config directory (log in `dir/audit.log`,
/// no plugins unless given), started by a test and stopped by its pid.
/// `-s nochange` leaves the enabled flag to the caller; `-n` keeps it in the
/// foreground so the pid is auditd's own.
final class PrivateAuditd {
    let dir: URL
    let process = Process()
    var log: String { dir.appendingPathComponent("audit.log").path }

    init(dir: URL, pluginDir: URL? = nil) throws {
        guard let auditd = TestSupport.which("auditd") else { throw TestSupport.missing("auditd is not installed") }
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let plugins = pluginDir ?? dir.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let conf = """
        local_events = yes
        write_logs = yes
        log_file = \(log)
        log_group = root
        log_format = RAW
        flush = INCREMENTAL_ASYNC
        freq = 50
        max_log_file = 8192
        num_logs = 0
        max_log_file_action = IGNORE
        name_format = NONE
        space_left = 2
        space_left_action = SYSLOG
        admin_space_left = 1
        admin_space_left_action = SYSLOG
        disk_full_action = SYSLOG
        disk_error_action = SYSLOG
        verify_email = no
        action_mail_acct = root
        distribute_network = no
        q_depth = 8192
        overflow_action = SYSLOG
        max_restarts = 0
        plugin_dir = \(plugins.path)
        end_of_event_timeout = 2

        """
        let confPath = dir.appendingPathComponent("auditd.conf").path
        try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
        chmod(confPath, 0o640)
        process.executableURL = URL(fileURLWithPath: auditd)
        process.arguments = ["-n", "-s", "nochange", "-c", dir.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Registered when the kernel names it as the audit pid.
        for _ in 0..<100 {
            if let pid = try? KernelAudit.status().int("pid"), pid == Int(process.processIdentifier) { return }
            guard process.isRunning else { throw TestSupport.missing("private auditd exited at start (status \(process.terminationStatus))") }
            usleep(100_000)
        }
        stop()
        XCTFail("private auditd did not register within 10 s")
    }

    /// SIGTERM to our auditd and wait: it flushes its log and unregisters.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(20)
        while process.isRunning && Date() < end { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    deinit { stop() }
}

/// A shell workload whose every syscall carries a login uid of its own, so
/// rules scoped with `-F auid=N` see this workload and nothing else.
enum Workload {
    static func auid() -> Int { 40_000 + Int.random(in: 0..<20_000) }

    @discardableResult
    static func run(auid: Int, _ script: String) throws -> TestSupport.Result {
        try TestSupport.run("/bin/bash", ["-c", "echo \(auid) > /proc/self/loginuid && exec /bin/bash -c \"$1\"", "workload", script])
    }

    static func start(auid: Int, _ script: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "echo \(auid) > /proc/self/loginuid && exec /bin/bash -c \"$1\"", "workload", script]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
