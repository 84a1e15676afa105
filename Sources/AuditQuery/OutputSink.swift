#if canImport(Glibc)
import Glibc
#endif

/// Buffered writes to a file descriptor (stdout by default). A closed pipe
/// (`auditq search … | head`) ends output quietly instead of failing.
public final class OutputSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var closed = false

    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { flush() }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !closed else { buffer.removeAll(); return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                closed = true
                break
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
