import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// Errors at the libauparse boundary, naming the C function that failed.
public struct AuparseError: Error, CustomStringConvertible {
    public let function: String
    public let errno: Int32
    public var description: String {
        "\(function) failed: \(String(cString: strerror(errno)))"
    }
}

/// Owns one `auparse_state_t` in feed mode (AUSOURCE_FEED): bytes go in with
/// `feed`, and every event auparse completes is handed to `onEvent` while
/// auparse is positioned on it. Errors thrown by `onEvent` never cross the C
/// frame: they are stashed and rethrown after `auparse_feed` returns.
public final class AuparseFeed {
    private let state: OpaquePointer
    private let onEvent: (AuparseCursor) throws -> Void
    private var pendingError: Error?

    public init(onEvent: @escaping (AuparseCursor) throws -> Void) throws {
        guard let au = auparse_init(AUSOURCE_FEED, nil) else {
            throw AuparseError(function: "auparse_init", errno: errno)
        }
        state = au
        self.onEvent = onEvent
        auparse_add_callback(au, { au, kind, userData in
            guard kind == AUPARSE_CB_EVENT_READY, let au, let userData else { return }
            let feed = Unmanaged<AuparseFeed>.fromOpaque(userData).takeUnretainedValue()
            guard feed.pendingError == nil else { return }
            do { try feed.onEvent(AuparseCursor(state: au)) } catch { feed.pendingError = error }
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
    }

    deinit { auparse_destroy(state) }

    /// Feeds whole lines; events that complete are delivered before it returns.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if auparse_feed(state, base.assumingMemoryBound(to: CChar.self), bytes.count) != 0 {
            throw AuparseError(function: "auparse_feed", errno: errno)
        }
        try rethrowPending()
    }

    /// Declares the input complete: auparse emits every event it still holds.
    public func flush() throws {
        _ = auparse_flush_feed(state)
        try rethrowPending()
    }

    /// True while auparse holds records of events it has not completed.
    public var hasPendingEvents: Bool { auparse_feed_has_data(state) == 1 }

    /// Completes events whose last record is older than auparse's end-of-event
    /// timeout: a live source calls this when no more records are coming.
    public func ageEvents() throws {
        auparse_feed_age_events(state)
        try rethrowPending()
    }

    private func rethrowPending() throws {
        if let error = pendingError { pendingError = nil; throw error }
    }
}

/// auparse positioned on one complete event (valid only inside the callback).
public struct AuparseCursor {
    let state: OpaquePointer
}
