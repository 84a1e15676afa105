import AuditQuery
import AuditStore
import Foundation
import GRDB
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// auditqd's detectors: after each batch the collector commits, the
/// detectors run over the events stored since their last pass; new alerts
/// are committed as ledger rows and sent as JSON lines to the operator's
/// destinations (stdout, syslog, a file). Runs on its own thread, reading
/// the store like any reader: collection never waits for it.
final class LiveDetection: @unchecked Sendable {
    enum Destination {
        case stdout, syslog, file(String)

        init(_ word: String) {
            switch word {
            case "stdout", "-": self = .stdout
            case "syslog": self = .syslog
            default: self = .file(word)
            }
        }
    }

    private let storePath: String
    private let detectors: [Detector]
    private let allow: AllowRules
    private let destinations: [Destination]
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    private var files: [String: FileHandle] = [:]
    /// How often the thread looks for new batches.
    static let intervalMs: UInt32 = 500
    /// How long an alert seen by one source waits for the other's event:
    /// the correlation window, and a batch interval.
    static let settleMs: Int64 = Correlator.windowMs + 500

    init(storePath: String, detectors: [Detector], allow: AllowRules, destinations: [Destination], logger: Logger) throws {
        self.storePath = storePath
        self.detectors = detectors
        self.allow = allow
        self.destinations = destinations
        self.logger = logger
        for case .file(let path) in destinations {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                    throw DetectorError(file: path, why: "cannot create the alert file")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw DetectorError(file: path, why: "cannot open the alert file for writing") }
            handle.seekToEndOfFile()
            files[path] = handle
        }
        if destinations.contains(where: { if case .syslog = $0 { return true } else { return false } }) {
            openlog("auditqd", LOG_PID, LOG_AUTHPRIV)
        }
        // The collector takes SIGTERM, SIGINT and SIGHUP through a signalfd
        // (SignalWatcher), blocking them in its thread later: this thread
        // is made with them blocked, so the kernel never delivers them here.
        var signals = sigset_t(), previous = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, &previous)
        let thread = Thread { [self] in loop() }
        thread.name = "auditq-detect"
        thread.start()
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    /// Stops after one last pass over what the collector committed.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        var detection: Detection?
        var lastID: Int64?
        while true {
            condition.lock()
            if !stopping { _ = condition.wait(until: Date().addingTimeInterval(Double(Self.intervalMs) / 1000)) }
            let last = stopping
            condition.unlock()
            do {
                // Opened once the collector has made the store and committed
                // its first batch (its head file is written after each commit):
                // two connections must not both set up a new store.
                if detection == nil, FileManager.default.fileExists(atPath: StorePath.headFile(for: storePath)) {
                    let store = try EventStore(path: storePath, access: .write)
                    detection = Detection(store: store, detectors: detectors, allow: allow)
                }
                if let d = detection {
                    // Events stored before auditqd started were the previous run's to check.
                    let top = try d.store.pool.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM event") } ?? 0
                    if lastID == nil { lastID = try Self.startMark(d.store) ?? top }
                    if top > lastID! {
                        // An alert of one source waits until the other's event of the
                        // same action could have come (the correlation window), so
                        // one action seen by both makes one audit+sensor alert.
                        let now = Int64(Date().timeIntervalSince1970 * 1000)
                        let settled = now - Self.settleMs
                        let outcome = try d.run(DetectionEngine.Window(afterID: lastID), record: true, source: "auditqd") { a in
                            last || a.alert.source == "audit+sensor" || a.lastMs <= settled
                        }
                        for a in outcome.alerts where a.new { send(a) }
                        // Held alerts' events are looked at again next pass.
                        let heldFrom = outcome.held.flatMap(\.alert.evidence).min().map { $0 - 1 }
                        lastID = max(lastID!, min(top, heldFrom ?? top))
                    }
                }
            } catch {
                logger.error("detectors: \(error)")
            }
            if last { break }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Where this run's detection starts: after the last event stored when
    /// the collector's run began (its start row's batch), so a batch
    /// committed between the collector's start and this thread's first pass
    /// is not missed.
    private static func startMark(_ store: EventStore) throws -> Int64? {
        try store.pool.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT b.first_event - 1 FROM batch b
                WHERE b.first_coverage <= (SELECT max(id) FROM coverage WHERE kind = 'collector_start')
                  AND b.last_coverage >= (SELECT max(id) FROM coverage WHERE kind = 'collector_start')
                """)
        }
    }

    private func send(_ a: Detection.Alerted) {
        let line = AlertLog.jsonLine(a.alert, timeMs: a.lastMs)
        for destination in destinations {
            switch destination {
            case .stdout:
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            case .syslog:
                withVaList([line]) { vsyslog(LOG_WARNING, "%s", $0) }
            case .file(let path):
                files[path]?.write(Data((line + "\n").utf8))
            }
        }
        logger.warning("alert \(a.alert.severity) \(a.alert.detector): \(a.alert.summary)")
    }
}
