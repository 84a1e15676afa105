import AuditRecords
import Foundation

/// Runs an `EventWriter` on a dedicated thread so that parsing and SQLite
/// writes overlap on two cores. The queue is bounded: a producer faster than
/// the disk waits instead of growing memory. The first write error stops
/// the thread; the producer sees it on its next `submit` or at `finish`.
final class WriterThread: @unchecked Sendable {
    struct Job {
        var events: [AuditEvent]
        var coverage: [CoverageRow]
        var source: String
    }

    private let writer: EventWriter
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closed = false
    private var error: Error?
    private var done = false
    private let capacity: Int
    private(set) var inserted = 0
    private(set) var duplicates = 0
    private(set) var batches = 0

    init(writer: EventWriter, capacity: Int = 3) {
        self.writer = writer
        self.capacity = capacity
        let thread = Thread { [self] in run() }
        thread.name = "auditq-writer"
        thread.start()
    }

    func submit(_ job: Job) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && error == nil { condition.wait() }
        if let error { throw error }
        queue.append(job)
        condition.broadcast()
    }

    /// Waits until every submitted job is committed (or the first error).
    func finish() throws {
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
            let job = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                let result = try writer.commit(events: job.events, coverage: job.coverage, source: job.source)
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
}
