import AuditKernel
import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP as a readable descriptor (signalfd), so the
/// receive loop waits on records and signals in one poll. The signals are
/// blocked for the whole process: create this before any other thread.
public final class SignalWatcher {
    public enum Signal {
        case stop(Int32), reload

        /// "stopped by signal SIGTERM", for the log and the stop row.
        public var stopReason: String {
            guard case .stop(let number) = self else { return "reload" }
            let name = number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : "\(number)"
            return "stopped by signal \(name)"
        }
    }

    let fd: Int32

    public init() throws {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, s) }
        guard pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { throw AuditSocketError("pthread_sigmask", errno: errno) }
        let fd = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard fd >= 0 else { throw AuditSocketError("signalfd", errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    public var descriptor: Int32 { fd }

    /// The signals that arrived, in order, without waiting.
    public func take() -> [Signal] {
        var out: [Signal] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            let number = Int32(info.ssi_signo)
            out.append(number == SIGHUP ? .reload : .stop(number))
        }
        return out
    }
}
