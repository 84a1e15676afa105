import AuditKernel
import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// The NETLINK_AUDIT socket records arrive on. In primary mode this socket
/// registers as the audit daemon and the kernel unicasts every record to it;
/// in passive mode it joins the AUDIT_NLGRP_READLOG multicast group and gets
/// a copy of every record beside the audit daemon that holds the unicast.
public final class AuditSocket {
    public enum Mode: String, Sendable, CaseIterable {
        case primary, passive
    }

    public enum Received {
        /// One kernel record: its type and its text, `audit(…): …`.
        case record(type: Int32, body: UnsafeRawBufferPointer)
        /// A netlink control message (an ack, a reply): not a record.
        case control
        /// Nothing to read right now.
        case empty
        /// The socket's receive buffer overflowed: the kernel dropped
        /// records for this socket (ENOBUFS).
        case overrun
    }

    let fd: Int32
    public let mode: Mode
    private let buffer: UnsafeMutableRawBufferPointer

    /// Room for the largest record plus the netlink header.
    static let bufferSize = Int(MAX_AUDIT_MESSAGE_LENGTH) + 64

    public init(mode: Mode, receiveBufferBytes: Int) throws {
        self.mode = mode
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_AUDIT)
        guard fd >= 0 else { throw AuditSocketError("socket(NETLINK_AUDIT)", errno: errno) }
        self.fd = fd
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 8)
        do {
            // SO_RCVBUFFORCE passes rmem_max as root; fall back to what the limit allows.
            var size = Int32(receiveBufferBytes)
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_nl()
            address.nl_family = sa_family_t(AF_NETLINK)
            if mode == .passive { address.nl_groups = 1 << (UInt32(AUDIT_NLGRP_READLOG.rawValue) - 1) }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
            guard rc == 0 else {
                throw AuditSocketError(mode == .passive ? "joining the audit multicast group" : "bind(NETLINK_AUDIT)",
                                       errno: errno)
            }
            if mode == .primary {
                let sent = audit_set_pid(fd, UInt32(getpid()), WAIT_YES)
                if sent < 0 { throw AuditSocketError("registering as the audit daemon (AUDIT_SET pid)", errno: -sent) }
            }
        } catch {
            close(fd)
            buffer.deallocate()
            throw error
        }
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Reads one message without waiting. The returned body points into this
    /// socket's buffer and is valid until the next call.
    public func receive() throws -> Received {
        var from = sockaddr_nl()
        var fromLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let n = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, &fromLength)
            }
        }
        if n < 0 {
            switch errno {
            case EAGAIN, EINTR: return .empty
            case ENOBUFS: return .overrun
            default: throw AuditSocketError("recvfrom(NETLINK_AUDIT)", errno: errno)
            }
        }
        // Only the kernel (port 0) speaks for audit; anything else is spoofed.
        let header = MemoryLayout<nlmsghdr>.size
        guard from.nl_pid == 0, n >= header else { return .control }
        let type = Int32(buffer.load(fromByteOffset: 4, as: UInt16.self))
        guard Self.isRecord(type) else { return .control }
        // The kernel's unicast nlmsg_len leaves out the header and its
        // multicast copy includes it: the datagram's size is the truth.
        var length = n - header
        let body = buffer.baseAddress! + header
        while length > 0 {
            let last = body.load(fromByteOffset: length - 1, as: UInt8.self)
            guard last == 0 || last == 0x0A else { break }
            length -= 1
        }
        return .record(type: type, body: UnsafeRawBufferPointer(start: body, count: length))
    }

    /// Records, not replies: 1100 and up, and the two older record types
    /// below (AUDIT_USER 1005, from `auditctl -m`, and AUDIT_LOGIN 1006).
    static func isRecord(_ type: Int32) -> Bool {
        type >= 1100 || type == AUDIT_LOGIN || type == Self.legacyUser
    }

    static let legacyUser: Int32 = 1005

    /// Waits for records or for another descriptor (signals) to become readable.
    public var descriptor: Int32 { fd }
}
