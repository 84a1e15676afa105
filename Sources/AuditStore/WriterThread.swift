import AuditRecords
import Foundation

/// Runs an `EventWriter` on a dedicated thread so that parsing and SQLite
/// writes overlap on two cores. The queue is bounded: a producer faster than
/// the disk waits instead of growing memory. Jobs of one source that queue
/// up while a commit runs are committed together, so a writer that falls
/// behind catches up with fewer, larger transactions. The first write error
/// stops the thread; the producer sees it on its next `submit` or at `finish`.
public final class WriterThread: @unchecked Sendable {
    public struct Job {
        public var events: [AuditEvent]
        public var coverage: [CoverageRow]
        public var source: String
        public init(events: [AuditEvent], coverage: [CoverageRow] = [], source: String) {
            self.events = events; self.coverage = coverage; self.source = source
        }
    }

    /// What a collector does when the disk is full: instead of failing, it
    /// retries the batch every `retryMs` (its source waits meanwhile, and
    /// the kernel's backlog takes the records), tells `report` when it
    /// starts and stops waiting, and commits a `store_full` ledger row with
    /// the batch that finally goes in. A writer being finished does not wait.
    public struct FullDisk: Sendable {
        public enum Change: Sendable { case waiting, resumed(afterMs: Int64) }
        public var retryMs: UInt32
        public var report: @Sendable (Change) -> Void
        public init(retryMs: UInt32 = 1000, report: @escaping @Sendable (Change) -> Void) {
            self.retryMs = retryMs; self.report = report
        }
    }

    private let writer: EventWriter
    private let fullDisk: FullDisk?
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closed = false
    private var error: Error?
    private var done = false
    private let capacity: Int
    public private(set) var inserted = 0
    public private(set) var duplicates = 0
    public private(set) var batches = 0
    /// Jobs merged into one commit hold at most this many events.
    private let mergeLimit: Int

    public init(writer: EventWriter, capacity: Int = 2, mergeLimit: Int = 16_384, fullDisk: FullDisk? = nil) {
        self.mergeLimit = mergeLimit
        self.fullDisk = fullDisk
        self.writer = writer
        self.capacity = capacity
        let thread = Thread { [self] in run() }
        thread.name = "auditq-writer"
        thread.start()
    }

    public func submit(_ job: Job) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && error == nil { condition.wait() }
        if let error { throw error }
        queue.append(job)
        condition.broadcast()
    }

    /// Waits until every submitted job is committed (or the first error).
    public func finish() throws {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
        if let error { throw error }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty || error != nil {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var job = queue.removeFirst()
            while let next = queue.first, next.source == job.source,
                  job.events.count + next.events.count <= mergeLimit {
                job.events += next.events
                job.coverage += next.coverage
                queue.removeFirst()
            }
            condition.broadcast()
            condition.unlock()
            do {
                let result = try commitWaitingForSpace(job)
                condition.lock()
                inserted += result.inserted
                duplicates += result.duplicates
                if result.batchID != nil { batches += 1 }
                condition.unlock()
            } catch {
                condition.lock()
                self.error = error
                queue.removeAll()
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Commits `job`; on a full disk with `fullDisk` set, retries until it
    /// goes in or the writer is being finished.
    private func commitWaitingForSpace(_ job: Job) throws -> EventWriter.BatchResult {
        var since: Int64?
        var coverage = job.coverage
        while true {
            do {
                let result = try writer.commit(events: job.events, coverage: coverage, source: job.source)
                if let since { fullDisk?.report(.resumed(afterMs: Clock.wallMs() - since)) }
                return result
            } catch StoreError.diskFull(let path) {
                condition.lock()
                let finishing = closed
                condition.unlock()
                guard let fullDisk, !finishing else { throw StoreError.diskFull(path: path) }
                if since == nil {
                    since = Clock.wallMs()
                    fullDisk.report(.waiting)
                }
                usleep(fullDisk.retryMs * 1000)
                let now = Clock.wallMs()
                coverage = job.coverage + [CoverageRow(kind: .storeFull, source: job.source, firstTimeMs: since, lastTimeMs: now,
                                                       detail: "the disk of \(path) was full for \((now - since!) / 1000) s: nothing was committed meanwhile")]
            }
        }
    }
}
