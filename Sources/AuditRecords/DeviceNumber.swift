/// A device number as "major:minor", from either encoding: stat's `st_dev`
/// (glibc's split of major and minor across the word) or the kernel's
/// `dev_t` that BPF programs read from a super block (`s_dev`, MKDEV:
/// major << 20 | minor).
public struct DeviceNumber: Hashable, Sendable, CustomStringConvertible {
    public var major: UInt64
    public var minor: UInt64

    public init(major: UInt64, minor: UInt64) { self.major = major; self.minor = minor }

    /// From stat's st_dev.
    public init(stDev dev: UInt64) {
        major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        minor = (dev & 0xFF) | ((dev >> 12) & ~UInt64(0xFF))
    }

    /// From the kernel's internal dev_t (sb->s_dev).
    public init(kernel dev: UInt64) {
        major = dev >> 20
        minor = dev & 0xFFFFF
    }

    /// From "major:minor".
    public init?(_ text: String) {
        let parts = text.split(separator: ":").compactMap { UInt64($0) }
        guard parts.count == 2 else { return nil }
        major = parts[0]; minor = parts[1]
    }

    /// The kernel's internal dev_t, as BPF maps key on it.
    public var kernel: UInt64 { major << 20 | minor }

    public var description: String { "\(major):\(minor)" }
}
