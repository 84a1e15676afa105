import AuditKernel
import AuditRecords
import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands the sensor's events from its ring-buffer thread to the collector's
/// loop: a locked queue and an eventfd the loop polls. Bounded: past
/// `capacity` events the ring-buffer thread waits, the ring buffer fills,
/// and the programs count what they drop.
final class SensorInbox: @unchecked Sendable {
    let fd: Int32
    private let condition = NSCondition()
    private var queue: [AuditEvent] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int = 16_384) throws {
        let fd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard fd >= 0 else { throw AuditSocketError("eventfd", errno: errno) }
        self.fd = fd
        self.capacity = capacity
    }

    deinit { Glibc.close(fd) }

    func put(_ events: [AuditEvent]) {
        condition.lock()
        while queue.count >= capacity && !closed { condition.wait() }
        queue += events
        condition.unlock()
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Wakes the loop with nothing queued (the container watch has rows).
    func notify() {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    func take() -> [AuditEvent] {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
        condition.lock()
        defer { queue.removeAll(keepingCapacity: true); condition.broadcast(); condition.unlock() }
        return queue
    }

    /// Lets a waiting producer go at stop.
    func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }
}
