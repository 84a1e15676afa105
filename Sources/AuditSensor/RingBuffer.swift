import CLibbpf
import Foundation

/// Owns one `ring_buffer*` and polls it on a dedicated thread (never on
/// Swift's cooperative pool); each sample is handed to `onSample` on that
/// thread, valid only during the call.
public final class RingBuffer: @unchecked Sendable {
    private var ring: OpaquePointer!
    private let onSample: (UnsafeRawBufferPointer) -> Void
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    public init(mapFD: Int32, onSample: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        self.onSample = onSample
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
                _ = ring_buffer__poll(ring, 100)
            }
            // What the kernel wrote before the stop is still read.
            _ = ring_buffer__consume(ring)
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
