#if canImport(Glibc)
import Glibc
#endif

/// One generation of a followed log: an open descriptor that stays with the
/// file through renames, what identifies it (device, inode, its first bytes)
/// and how far it has been read. Owns the descriptor.
final class FollowedFile {
    let fd: Int32
    let device: UInt64
    let inode: UInt64
    /// The name it was opened under.
    let name: String
    /// The next byte to read.
    private(set) var readOffset: Int64
    /// The file's first bytes (up to 4 KiB) as read: the fingerprint's input,
    /// kept from this generation even if the file is later truncated.
    private var prefix: [UInt8] = []

    /// Opens `path` for reading from `offset`.
    init(path: String, offset: Int64 = 0) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FollowFileError("open", path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno; close(fd)
            throw FollowFileError("fstat", path, errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CollectorError("\(path) is not a regular file")
        }
        self.fd = fd
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        name = path
        readOffset = 0
        var head = [UInt8](repeating: 0, count: FollowCursor.fingerprintLimit)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        prefix = Array(head.prefix(max(0, n)))
        readOffset = min(offset, Int64(st.st_size))
    }

    deinit { close(fd) }

    /// Bytes on disk now.
    var size: Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : readOffset
    }

    /// Reads on from `readOffset`; 0 at the current end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(readOffset))
            if n < 0 {
                if errno == EINTR { continue }
                throw FollowFileError("read", name, errno: errno)
            }
            if n > 0 {
                notePrefix(UnsafeRawBufferPointer(rebasing: buffer[..<n]), at: readOffset)
                readOffset += Int64(n)
            }
            return n
        }
    }

    private func notePrefix(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        let limit = Int64(FollowCursor.fingerprintLimit)
        guard Int64(prefix.count) < limit, offset <= Int64(prefix.count) else { return }
        let from = Int(Int64(prefix.count) - offset)
        let to = Int(min(Int64(bytes.count), limit - offset))
        if to > from { prefix.append(contentsOf: bytes[from..<to]) }
    }

    func isSameFile(device: UInt64, inode: UInt64) -> Bool {
        self.device == device && self.inode == inode
    }

    /// This generation's identity at `offset`.
    func cursor(at offset: Int64) -> FollowCursor {
        FollowCursor(file: name, device: device, inode: inode, offset: offset,
                     fingerprint: FollowCursor.fingerprint(of: prefix), fingerprintBytes: prefix.count)
    }

    /// True when this is the file `cursor` names: same device and inode,
    /// the same first bytes, and at least as long as the cursor's offset.
    func matches(_ cursor: FollowCursor) -> Bool {
        guard isSameFile(device: cursor.device, inode: cursor.inode), prefix.count >= cursor.fingerprintBytes,
              size >= cursor.offset else { return false }
        return FollowCursor.fingerprint(of: prefix.prefix(cursor.fingerprintBytes)) == cursor.fingerprint
    }

    /// The device and inode `path` names now, or nil when it names nothing.
    static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}

/// A failure reading a followed log, naming the call, the file and errno.
public struct FollowFileError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let errno: Int32

    init(_ operation: String, _ path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}
