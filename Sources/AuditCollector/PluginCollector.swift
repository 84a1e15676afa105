import AuditRecords
import AuditStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `auditqd --plugin`: an auditd plugin (`format = string`). auditd writes
/// every record to the plugin's standard input as one line, `type=… msg=
/// audit(…): …`, the kernel's EOE records included; they end an event at
/// once and are left out of the stored event, as auditd leaves them out of
/// its log. Runs until auditd closes the pipe or sends SIGTERM (auditd
/// 3.0.9 does so when it stops), or SIGINT; takes what is still in the
/// pipe, commits everything with a stop row, and returns (exit 0).
///
/// auditd must never wait on a slow plugin: standard input is read as soon
/// as it is readable, and the pipe is enlarged so a burst fits while a batch
/// commits. Needs no privilege: auditd hands it the records.
public final class PluginCollector {
    public static let source = "plugin"
    private let config: CollectorConfiguration
    private let logger: Logger
    private let signals: SignalWatcher
    private let input: Int32
    /// Bytes read per turn before signals and timers get theirs.
    static let readBudget = 8 << 20
    /// auparse completes events it still holds (no EOE seen) only after the
    /// stream has been quiet this long, as for a followed log: the stamps
    /// of records replayed or delayed say nothing about when they arrive.
    static let quietBeforeAgingMs: Int64 = 2000
    /// F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7), hidden behind _GNU_SOURCE in Glibc.
    static let setPipeSize: Int32 = 1031

    public init(config: CollectorConfiguration, logger: Logger, input: Int32 = STDIN_FILENO) throws {
        self.config = config
        self.logger = logger
        self.input = input
        // Before any thread starts, so every thread inherits the blocked set.
        signals = try SignalWatcher()
    }

    private enum ReadResult { case drained, more, end }

    /// Collects until the end of input or a stop signal.
    public func run() throws -> Ledger.Stop {
        let source = Self.source
        let run = try CollectorRun(config: config, source: source, serials: .thisBoot, dropsEndOfEvent: true, mode: "plugin",
                                   consequence: "records it had not committed are lost and the ledger says so", logger: logger)
        let ingest = run.ingest

        let flags = fcntl(input, F_GETFL)
        if flags >= 0 { _ = fcntl(input, F_SETFL, flags | O_NONBLOCK) }
        // Room for a burst while a batch commits (best effort: fails on a file or tty).
        _ = fcntl(input, Self.setPipeSize, Int32(1 << 20))
        logger.info("collecting from auditd's plugin stream (standard input) into \(config.storePath)")

        var assembler = LineAssembler()
        var offset: Int64 = 0
        var skipped = 0
        var lastInputMs = Clock.monotonicMs()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        let emit: (UnsafeRawBufferPointer, Int64) throws -> Void = { lines, _ in try ingest.consume(lines) }
        let skip: (LineAssembler.Skipped) throws -> Void = { [logger] line in
            skipped += 1
            let text = "standard input: byte \(line.offset): \(line.reason) (\(line.length) bytes passed over)"
            logger.warning("\(text)")
            ingest.record(CoverageRow(kind: .skippedLine, source: source, firstTimeMs: Clock.wallMs(),
                                      count: Int64(line.length), detail: text))
        }
        func readInput() throws -> ReadResult {
            var spent = 0
            while spent < Self.readBudget {
                let n = read(input, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { return .drained }
                    throw FollowFileError("read", "standard input", errno: errno)
                }
                if n == 0 { return .end }
                lastInputMs = Clock.monotonicMs()
                try assembler.add(UnsafeRawBufferPointer(rebasing: buffer[..<n]), at: offset, emit: emit, skip: skip)
                offset += Int64(n)
                spent += n
            }
            return .more
        }

        var reason = "end of input (auditd closed the pipe)"
        var storeGone: String?
        var state = ReadResult.more
        running: while true {
            let now = Clock.monotonicMs()
            var timeout: Int32 = -1
            if state == .more { timeout = 0 } else if let deadline = ingest.nextDeadline {
                timeout = Int32(clamping: max(0, deadline - now))
            }
            if timeout < 0 { timeout = 10_000 }  // the store's path is checked while idle too
            var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, timeout) < 0 && errno != EINTR { throw FollowFileError("poll", "standard input", errno: errno) }
            for signal in signals.take() {
                switch signal {
                case .stop:
                    reason = signal.stopReason
                    break running
                case .reload:
                    logger.info("SIGHUP: nothing to reload in plugin mode")
                }
            }
            if fds[0].revents != 0 || state == .more {
                state = try readInput()
                if state == .end { break running }
            }
            try ingest.tick(agingEvents: state != .more && Clock.monotonicMs() - lastInputMs >= Self.quietBeforeAgingMs)
            if let gone = run.storeWatch.gone() {
                logger.error("\(gone): stopping")
                (reason, storeGone) = (gone, gone)
                break running
            }
        }
        if state != .end && storeGone == nil {
            // Stopped by a signal: what auditd already wrote to the pipe is still taken,
            // until the pipe closes or stays empty for 50 ms (2 s at most).
            let began = Clock.monotonicMs()
            var quietSince = began
            while Clock.monotonicMs() - quietSince < 50 && Clock.monotonicMs() - began < 2000 {
                var fd = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
                guard poll(&fd, 1, 10) > 0 else { continue }
                let result = try readInput()
                if result == .end { break }
                quietSince = Clock.monotonicMs()
            }
        }
        try assembler.finishInput(at: offset, emit: emit, skip: skip)
        let stop = try run.finish(reason: reason)
        logger.info("\(reason): \(stop.events) events (\(ingest.stored) new in the store), \(skipped) line(s) passed over, \(stop.missingSerials) missing serials")
        if let storeGone { throw CollectorRun.storeGone(storeGone) }
        return stop
    }
}
