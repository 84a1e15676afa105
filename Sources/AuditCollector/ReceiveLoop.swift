import AuditKernel
import AuditRecords
import AuditStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Reads the audit socket into the ingest path: each record becomes the line
/// auditd writes for it in `log_format = RAW` (`type=NAME msg=audit(…): …`),
/// many lines per parser call. Counts socket overruns and polls the kernel's
/// `lost` counter, turning both into ledger rows.
struct ReceiveLoop {
    let socket: AuditSocket
    let control: KernelAuditControl
    let ingest: Ingest
    let logger: Logger
    private var lines: [UInt8] = []
    private var lastLost: UInt32
    private var lastLostPoll = Clock.monotonicMs()
    private var lastRecordMs: Int64 = 0
    private(set) var kernelLost: Int64 = 0
    private(set) var overruns: Int64 = 0
    /// Records read per drain before the timers get a turn.
    static let drainLimit = 2048
    /// Drains in a row that stopped at the limit (records still waiting).
    private var fullDrains = 0
    /// Until when CONFIG_CHANGE records of this process's own requests are
    /// expected (see `expectOwnConfigChanges`), and its `auid=… ses=…`.
    private var ownConfigUntilMs: Int64 = 0
    private let ownSession: [UInt8]

    init(socket: AuditSocket, control: KernelAuditControl, ingest: Ingest, lost: UInt32, logger: Logger) {
        self.socket = socket
        self.control = control
        self.ingest = ingest
        self.lastLost = lost
        self.logger = logger
        lines.reserveCapacity(1 << 20)
        func read(_ file: String) -> String {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        ownSession = Array(" auid=\(read("/proc/self/loginuid")) ses=\(read("/proc/self/sessionid")) ".utf8)
    }

    /// The audit daemon's own requests (rules loaded or removed, settings
    /// changed) come back as CONFIG_CHANGE records with no SYSCALL and no
    /// EOE record: the kernel does not audit the daemon's syscalls. auparse
    /// would hold each until its 2 s timeout, and every later event behind
    /// it. Call after sending such requests: for the next 2 s a CONFIG_CHANGE
    /// carrying this process's auid and session is ended at once.
    mutating func expectOwnConfigChanges() {
        ownConfigUntilMs = Clock.monotonicMs() + 2000
    }

    /// Sleeps until records, a signal, or the next timer. With nothing
    /// pending the only timer is the `lost` poll every 10 s.
    mutating func wait(signals: SignalWatcher, also other: Int32? = nil) throws {
        let now = Clock.monotonicMs()
        let active = now - lastRecordMs < 5000
        var due = lastLostPoll + (active ? 1000 : 10_000)
        if let deadline = ingest.nextDeadline { due = min(due, deadline) }
        var fds = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        if let other { fds.append(pollfd(fd: other, events: Int16(POLLIN), revents: 0)) }
        let rc = poll(&fds, nfds_t(fds.count), Int32(clamping: max(0, due - now)))
        if rc < 0 && errno != EINTR { throw AuditSocketError("poll", errno: errno) }
    }

    /// Reads up to `drainLimit` records into the ingest path. Returns true
    /// when events may be aged: the socket is empty, or it has stayed full
    /// for 8 drains in a row. Aging between two reads of a backlog would cut
    /// an event whose records are seconds old (after a stall) in two.
    @discardableResult
    mutating func drain() throws -> Bool {
        var overrunsNow: Int64 = 0
        var emptied = false
        reading: for _ in 0..<Self.drainLimit {
            switch try socket.receive() {
            case .record(let type, let body): append(type: type, body: body)
            case .control: continue
            case .overrun: overrunsNow += 1
            case .empty:
                emptied = true
                break reading
            }
        }
        fullDrains = emptied ? 0 : fullDrains + 1
        if overrunsNow > 0 {
            overruns += overrunsNow
            logger.warning("audit socket overrun (ENOBUFS): the kernel dropped records for this socket")
            ingest.record(CoverageRow(kind: .socketOverrun, source: KernelCollector.source,
                                      firstTimeMs: Clock.wallMs(), count: overrunsNow,
                                      detail: "ENOBUFS on the \(socket.mode.rawValue) audit socket"))
        }
        if !lines.isEmpty {
            lastRecordMs = Clock.monotonicMs()
            try lines.withUnsafeBytes { try ingest.consume($0) }
            lines.removeAll(keepingCapacity: true)
        }
        return emptied || fullDrains % 8 == 0
    }

    /// At stop: reads until the socket has been quiet for 50 ms.
    mutating func drainFinal() throws {
        var quietSince = Clock.monotonicMs()
        while Clock.monotonicMs() - quietSince < 50 {
            var fd = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&fd, 1, 10) > 0 {
                try drain()
                quietSince = Clock.monotonicMs()
            }
        }
    }

    /// True when it polled (the caller checks its other counters then too).
    @discardableResult
    mutating func pollLostIfDue() throws -> Bool {
        let now = Clock.monotonicMs()
        let interval: Int64 = now - lastRecordMs < 5000 ? 1000 : 10_000
        guard now - lastLostPoll >= interval else { return false }
        try pollLost()
        return true
    }

    /// Reads the kernel's `lost` counter; a rise becomes a ledger row.
    mutating func pollLost() throws {
        lastLostPoll = Clock.monotonicMs()
        let status = try control.status()
        guard status.lost != lastLost else { return }
        let delta = status.lostSince(lastLost)
        kernelLost += delta
        logger.warning("the kernel lost \(delta) audit record(s) (lost counter \(lastLost) → \(status.lost), backlog \(status.backlog)/\(status.backlogLimit))")
        ingest.record(CoverageRow(kind: .kernelLost, source: KernelCollector.source,
                                  firstTimeMs: Clock.wallMs(), count: delta,
                                  detail: "kernel lost counter \(lastLost) → \(status.lost); backlog \(status.backlog) of \(status.backlogLimit)"))
        lastLost = status.lost
    }

    /// `type=NAME msg=` per record type, made once: AuditNames takes a lock
    /// per lookup, too much for every record of a burst.
    private var prefixes: [Int32: [UInt8]] = [:]

    /// `type=NAME msg=BODY\n`; a NUL or newline inside the body (never sent
    /// by a sane kernel) becomes a space so one record stays one line.
    private mutating func append(type: Int32, body: UnsafeRawBufferPointer) {
        if let prefix = prefixes[type] {
            lines.append(contentsOf: prefix)
        } else {
            let prefix = Array("type=\(AuditNames.recordType(type)) msg=".utf8)
            prefixes[type] = prefix
            lines.append(contentsOf: prefix)
        }
        let start = lines.count
        for byte in body.bindMemory(to: UInt8.self) {
            lines.append(byte == 0 || byte == 0x0A ? 0x20 : byte)
        }
        lines.append(0x0A)
        if type == Self.configChange, ownConfigUntilMs > 0 { endOwnConfigChange(lineAt: start) }
    }

    static let configChange: Int32 = 1305

    /// After a CONFIG_CHANGE line of this process's own request (see
    /// `expectOwnConfigChanges`), an EOE line with its stamp ends the event
    /// (EOE records are not stored).
    private mutating func endOwnConfigChange(lineAt start: Int) {
        guard Clock.monotonicMs() < ownConfigUntilMs else { ownConfigUntilMs = 0; return }
        let line = lines[start...]
        guard let close = line.firstIndex(of: UInt8(ascii: ")")),
              line.starts(with: "audit(".utf8),
              line.firstRange(of: ownSession) != nil else { return }
        let stamp = Array(lines[start...close])
        lines.append(contentsOf: "type=EOE msg=".utf8)
        lines.append(contentsOf: stamp)
        lines.append(contentsOf: ": \n".utf8)
    }
}
