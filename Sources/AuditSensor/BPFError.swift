#if canImport(Glibc)
import Glibc
#endif

/// A failure at the libbpf boundary: what was being done, to which program
/// or map, and the errno libbpf returned.
public enum BPFError: Error, CustomStringConvertible, Equatable {
    case open(object: String, errno: Int32)
    case load(object: String, errno: Int32, detail: String?)
    case attach(program: String, errno: Int32)
    case pin(path: String, errno: Int32)
    case map(name: String, errno: Int32)
    case ringBuffer(errno: Int32)

    public var errno: Int32 {
        switch self {
        case .open(_, let e), .load(_, let e, _), .attach(_, let e), .pin(_, let e), .map(_, let e), .ringBuffer(let e): return e
        }
    }

    public var description: String {
        func text(_ e: Int32) -> String {
            var s = String(cString: strerror(e)).lowercased()
            if e == EPERM { s += " (kernel lockdown, or no CAP_BPF/CAP_PERFMON?)" }
            return s
        }
        switch self {
        case .open(let o, let e): return "opening BPF object \(o): \(text(e))"
        case .load(let o, let e, let d): return "loading BPF object \(o): \(text(e))" + (d.map { ": \($0)" } ?? "")
        case .attach(let p, let e): return "attaching BPF program \(p): \(text(e))"
        case .pin(let p, let e): return "pinning \(p): \(text(e))"
        case .map(let n, let e): return "BPF map \(n): \(text(e))"
        case .ringBuffer(let e): return "BPF ring buffer: \(text(e))"
        }
    }
}
