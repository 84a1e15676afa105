import CLibbpf
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `bpf_link*`: the attachment of a program to its hook. Pinned
/// under bpffs, the attachment outlives this process (a collector restart
/// leaves no gap); `unpin` lets a later `close` detach it.
public final class BPFLink {
    private let link: OpaquePointer
    public let program: String

    init(link: OpaquePointer, program: String) {
        self.link = link
        self.program = program
    }

    /// A link a previous run pinned: its program is still attached.
    public static func open(pinnedAt path: String, program: String) -> BPFLink? {
        guard let link = bpf_link__open(path) else { return nil }
        return BPFLink(link: link, program: program)
    }

    deinit { bpf_link__destroy(link) }

    public func pin(at path: String) throws {
        let rc = bpf_link__pin(link, path)
        if rc < 0 { throw BPFError.pin(path: path, errno: -rc) }
    }

    public func unpin() {
        _ = bpf_link__unpin(link)
    }

    /// The kernel's id of the link's program (for `auditq status`).
    public var programID: UInt32 {
        var info = bpf_link_info()
        var length = UInt32(MemoryLayout<bpf_link_info>.size)
        guard bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &length) == 0 else { return 0 }
        return info.prog_id
    }
}
