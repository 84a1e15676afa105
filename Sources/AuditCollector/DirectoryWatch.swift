#if canImport(Glibc)
import Glibc
#endif

/// inotify on the followed log's directory: a readable descriptor when the
/// log or one of its rotated names (`NAME`, `NAME.N`) is written, created,
/// renamed or removed. An idle log costs no CPU: the collector sleeps in
/// poll until the writer writes. Owns the inotify descriptor.
final class DirectoryWatch {
    let fd: Int32
    private let name: [UInt8]

    /// Watches the directory of `path`; throws when inotify is unavailable
    /// (the caller then polls).
    init(path: String) throws {
        let slash = path.lastIndex(of: "/")!
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        name = Array(path[path.index(after: slash)...].utf8)
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw FollowFileError("inotify_init1", directory, errno: errno) }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            let e = errno
            close(fd)
            throw FollowFileError("inotify_add_watch", directory, errno: e)
        }
    }

    deinit { close(fd) }

    /// Reads every queued notification; true when one concerns the log
    /// (or the queue overflowed, so nothing can be ruled out).
    func drain() -> Bool {
        var relevant = false
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, size)
            if n <= 0 { break }
            var at = 0
            while at + MemoryLayout<inotify_event>.size <= n {
                let event = buffer.load(fromByteOffset: at, as: inotify_event.self)
                let nameStart = at + MemoryLayout<inotify_event>.size
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { relevant = true }
                if event.len > 0 && !relevant {
                    let bytes = UnsafeRawBufferPointer(start: buffer + nameStart, count: Int(event.len))
                    let eventName = bytes.prefix { $0 != 0 }
                    if eventName.starts(with: name) && (eventName.count == name.count || eventName[name.count] == UInt8(ascii: ".")) {
                        relevant = true
                    }
                }
                at = nameStart + Int(event.len)
            }
        }
        return relevant
    }
}
