import CLibbpf
import Foundation

/// Owns one `ring_buffer*` and polls it on a dedicated thread (never on
/// Swift's cooperative pool); each sample is handed to `onSample` on that
/// thread, valid only during the call, and `afterPoll` runs once after each
/// round of samples, so a consumer can hand them on in batches.
///
/// The programs wake the reader only when much is waiting (events.h,
/// AUDITQ_WAKEUP_BYTES): each poll that times out drains the buffer too, so
/// a sample waits at most `pollMs`.
public final class RingBuffer: @unchecked Sendable {
    public static let pollMs: Int32 = 100
    private var ring: OpaquePointer!
    private let onSample: (UnsafeRawBufferPointer) -> Void
    private let afterPoll: () -> Void
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    public init(mapFD: Int32, onSample: @escaping (UnsafeRawBufferPointer) -> Void,
                afterPoll: @escaping () -> Void = {}) throws {
        self.onSample = onSample
        self.afterPoll = afterPoll
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let ring = ring_buffer__new(mapFD, { context, data, size in
            guard let context, let data else { return 0 }
            let me = Unmanaged<RingBuffer>.fromOpaque(context).takeUnretainedValue()
            me.onSample(UnsafeRawBufferPointer(start: data, count: Int(size)))
            return 0
        }, context, nil) else { throw BPFError.ringBuffer(errno: errno) }
        self.ring = ring
    }

    deinit {
        stop()
        ring_buffer__free(ring)
    }

    /// Starts polling; samples flow until `stop`.
    public func start() {
        let thread = Thread { [self] in
            while true {
                lock.lock(); let stop = stopping; lock.unlock()
                if stop { break }
                // A timeout is the usual way out: then consume what waits.
                if ring_buffer__poll(ring, Self.pollMs) == 0 { _ = ring_buffer__consume(ring) }
                afterPoll()
            }
            // What the kernel wrote before the stop is still read.
            _ = ring_buffer__consume(ring)
            afterPoll()
            done.signal()
        }
        thread.name = "auditq-ringbuf"
        self.thread = thread
        thread.start()
    }

    /// Stops polling after draining what is in the buffer; waits for the thread.
    public func stop() {
        lock.lock()
        let running = thread != nil && !stopping
        stopping = true
        lock.unlock()
        if running { done.wait() }
    }
}
