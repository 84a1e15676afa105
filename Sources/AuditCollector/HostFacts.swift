import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the ledger says about the machine a run collected on.
public enum HostFacts {
    /// /proc/sys/kernel/random/boot_id: audit serials restart with it.
    public static var bootID: String {
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static var kernelRelease: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// When this boot began, wall-clock ms (CLOCK_REALTIME − CLOCK_BOOTTIME).
    public static var bootTimeMs: Int64 {
        var real = timespec(), boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(real.tv_sec) - Int64(boot.tv_sec)) * 1000 + (Int64(real.tv_nsec) - Int64(boot.tv_nsec)) / 1_000_000
    }
}
