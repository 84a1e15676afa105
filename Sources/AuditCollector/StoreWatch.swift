import AuditStore
#if canImport(Glibc)
import Glibc
#endif

/// The store file a collector opened, checked at most once a second: when
/// it is no longer at its path (renamed, removed, replaced, its directory
/// gone), the collector stops. SQLite keeps writing through its open files,
/// so the stop row and every committed batch end up in the moved file (or
/// vanish with a removed one); carrying on would write where nobody looks.
final class StoreWatch {
    let path: String
    private let device: UInt64
    private let inode: UInt64
    private var checkedMs: Int64 = 0

    init(path: String) {
        self.path = path
        var st = stat()
        if stat(path, &st) == 0 {
            device = UInt64(st.st_dev); inode = UInt64(st.st_ino)
        } else {
            device = 0; inode = 0
        }
    }

    /// Why the store is gone from its path, or nil while it is there.
    func gone() -> String? {
        let now = Clock.monotonicMs()
        guard now - checkedMs >= 1000 else { return nil }
        checkedMs = now
        var st = stat()
        if stat(path, &st) != 0 {
            return "the store \(path) was removed or renamed under auditqd (\(String(cString: strerror(errno))))"
        }
        if UInt64(st.st_dev) != device || UInt64(st.st_ino) != inode {
            return "the store \(path) was replaced by another file under auditqd"
        }
        return nil
    }
}
