import AuditRecords
import AuditStore
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `auditqd --follow FILE`: follows a growing audit.log across rotations
/// into the store, with a persistent cursor so that a restart, after a
/// clean stop or a kill, neither loses nor duplicates an event.
///
/// The cursor (a `follow_cursor` ledger row) names the file and the offset
/// of the oldest line not yet in an event handed to the writer; it is
/// committed in the same transaction as the events read before it. Lines
/// after it that were already in committed events are read again at
/// restart and the store, which keys events by their identity, adds
/// nothing for them. At stop the events auparse has not completed are not
/// stored in part: the cursor points before them and the next run reads
/// them whole. Needs only read access to the log.
public final class FollowCollector {
    public let path: String
    public let source: String
    private let config: CollectorConfiguration
    private let logger: Logger
    private let signals: SignalWatcher
    /// A cursor row at most this often while lines flow (and one at stop).
    static let cursorIntervalMs: Int64 = 1000
    /// Bytes read per turn before signals and timers get theirs.
    static let readBudget = 8 << 20
    /// Without inotify the log is looked at this often.
    static let pollIntervalMs: Int64 = 250
    /// auparse completes events it still holds only after the log has been
    /// quiet this long: the writer writes an event's records together, and
    /// the stamps of an old log say nothing about when its lines arrive.
    static let quietBeforeAgingMs: Int64 = 2000

    public init(path: String, config: CollectorConfiguration, logger: Logger) throws {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = URL(fileURLWithPath: absolute).standardizedFileURL.path
        source = "follow:\(self.path)"
        self.config = config
        self.logger = logger
        // Before any thread starts, so every thread inherits the blocked set.
        signals = try SignalWatcher()
    }

    /// Follows until SIGTERM or SIGINT; returns what the run counted.
    public func run() throws -> Ledger.Stop {
        var parent = stat()
        let directory = (path as NSString).deletingLastPathComponent
        guard stat(directory, &parent) == 0 else { throw FollowFileError("stat", directory, errno: errno) }
        guard (parent.st_mode & S_IFMT) == S_IFDIR else { throw FollowFileError("stat", directory, errno: ENOTDIR) }
        if access(path, F_OK) == 0 && access(path, R_OK) != 0 { throw FollowFileError("open", path, errno: errno) }
        let run = try CollectorRun(config: config, source: source, serials: .fromFiles, dropsEndOfEvent: false, mode: "follow",
                                   consequence: "reading resumes at its last committed cursor", logger: logger)
        let store = run.store, ingest = run.ingest
        let cursor = try FollowCursor.last(in: store, source: source)

        var map = StreamMap()
        var recorded = cursor
        var recordedAtMs: Int64?
        /// Lines handed on (or passed over) since the last cursor row.
        var cursorDirty = false
        var skipped = 0
        var lastLinesMs = Clock.monotonicMs()
        let note: (LogFollower.Note) -> Void = { [logger, source] note in
            switch note {
            case .resumed(let file, let offset): logger.info("resuming \(file) at byte \(offset)")
            case .started(let file): logger.info("reading \(file) from its start")
            case .waiting(let file): logger.info("waiting for \(file) to appear")
            case .switched(let from, let to):
                logger.info("\(from) is finished (rotated or truncated); reading on in \(to)")
                cursorDirty = true
            case .gap(let text):
                logger.warning("\(text)")
                ingest.record(CoverageRow(kind: .followGap, source: source, firstTimeMs: Clock.wallMs(), detail: text))
            }
        }
        let emit: (UnsafeRawBufferPointer, FollowedFile, Int64) throws -> Void = { lines, file, offset in
            map.append(count: lines.count, file: file, fileOffset: offset)
            cursorDirty = true
            lastLinesMs = Clock.monotonicMs()
            try ingest.consume(lines)
        }
        let skip: (FollowedFile, LineAssembler.Skipped) throws -> Void = { [logger, source] file, line in
            skipped += 1
            cursorDirty = true
            let text = "\(file.name): byte \(line.offset): \(line.reason) (\(line.length) bytes passed over)"
            logger.warning("\(text)")
            ingest.record(CoverageRow(kind: .skippedLine, source: source, firstTimeMs: Clock.wallMs(),
                                      count: Int64(line.length), detail: text))
        }

        let follower = try LogFollower(path: path, resumeFrom: cursor, note: note)
        var watch: DirectoryWatch?
        do { watch = try DirectoryWatch(path: path) } catch {
            logger.warning("\(error); looking at \(path) every \(Self.pollIntervalMs) ms instead")
        }
        logger.info("following \(path) into \(config.storePath)")

        /// The oldest line not in an event handed on, else the next unread byte.
        func currentCursor() -> FollowCursor? {
            let settled = ingest.settledOffset()
            let mapped = map.position(of: settled)  // also lets go of runs (and rotated files) before it
            let at = settled < map.end ? mapped : follower.position
            return at.map { $0.file.cursor(at: $0.offset) }
        }
        /// A cursor row goes with the next batch: at most one per interval
        /// while lines flow, and one at stop.
        func recordCursor(force: Bool) {
            let now = Clock.monotonicMs()
            guard cursorDirty || force else { return }
            if !force, let last = recordedAtMs, now - last < Self.cursorIntervalMs { return }
            cursorDirty = false
            guard let next = currentCursor(), next != recorded else { return }
            ingest.record(next.row(source: source))
            recorded = next
            recordedAtMs = now
        }

        var reason = "stopped"
        var storeGone: String?
        var more = true  // read at once at start
        running: while true {
            // Sleep until the log changes, a signal, or a timer: the batch
            // deadline, a held-back cursor row, the poll interval without inotify.
            let now = Clock.monotonicMs()
            var deadlines: [Int64] = []
            if more { deadlines.append(now) }
            if let deadline = ingest.nextDeadline { deadlines.append(deadline) }
            if cursorDirty { deadlines.append((recordedAtMs ?? now) + Self.cursorIntervalMs) }
            if watch == nil { deadlines.append(now + Self.pollIntervalMs) }
            deadlines.append(now + 10_000)  // the store's path is checked while idle too
            let timeout = deadlines.min().map { Int32(clamping: max(0, $0 - now)) } ?? -1
            var fds = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            if let watch { fds.append(pollfd(fd: watch.fd, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR {
                throw FollowFileError("poll", path, errno: errno)
            }
            for signal in signals.take() {
                switch signal {
                case .stop:
                    reason = signal.stopReason
                    break running
                case .reload:
                    logger.info("SIGHUP: nothing to reload when following a file")
                }
            }
            if let watch, fds[1].revents != 0, watch.drain() { more = true }
            if more || watch == nil {
                more = try follower.read(budget: Self.readBudget, emit: emit, skip: skip, note: note)
            }
            let aging = !more && Clock.monotonicMs() - lastLinesMs >= Self.quietBeforeAgingMs
            let settledBefore = aging ? ingest.settledOffset() : 0
            try ingest.tick(agingEvents: aging)
            if aging && ingest.settledOffset() != settledBefore { cursorDirty = true }  // events auparse let go of
            recordCursor(force: false)
            if let gone = run.storeWatch.gone() {
                logger.error("\(gone): stopping")
                (reason, storeGone) = (gone, gone)
                break running
            }
        }

        // Stop: the cursor stands before what auparse still holds; nothing is stored in part.
        recordCursor(force: true)
        let stop = try run.finish(reason: reason, flushParser: false)
        let at = recorded.map { " (cursor: \($0.file) byte \($0.offset))" } ?? ""
        logger.info("\(reason): \(stop.events) events read (\(ingest.stored) new in the store), \(skipped) line(s) passed over\(at)")
        if let storeGone { throw CollectorRun.storeGone(storeGone) }
        return stop
    }
}
