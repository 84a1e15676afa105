import CAudit
import Foundation

/// Names of record types, syscalls and architectures, from libaudit's tables.
public enum AuditNames {
    nonisolated(unsafe) private static var typeNames: [Int32: String] = [:]
    private static let lock = NSLock()

    /// `audit_msg_type_to_name`, or `UNKNOWN[n]` as auditd writes unknown types.
    public static func recordType(_ type: Int32) -> String {
        lock.lock(); defer { lock.unlock() }
        if let name = typeNames[type] { return name }
        let name = SensorKinds.kind(recordType: type)?.name
            ?? audit_msg_type_to_name(type).map { String(cString: $0) } ?? "UNKNOWN[\(type)]"
        typeNames[type] = name
        return name
    }

    public static func recordType(named name: String) -> Int32? {
        let upper = name.uppercased()
        if let sensor = SensorKinds.kind(named: upper) { return sensor.recordType }
        let n = audit_name_to_msg_type(upper)
        if n >= 0 { return n }
        if upper.hasPrefix("UNKNOWN["), upper.hasSuffix("]") {
            return Int32(upper.dropFirst(8).dropLast())
        }
        return nil
    }

    /// Machine (libaudit's MACH_*) for an ELF arch value such as 0xc000003e.
    public static func machine(arch: Int64) -> Int32? {
        let m = audit_elf_to_machine(UInt32(truncatingIfNeeded: arch))
        return m >= 0 ? m : nil
    }

    public static func archName(_ arch: Int64) -> String? {
        guard let m = machine(arch: arch), let name = audit_machine_to_name(m) else { return nil }
        return String(cString: name)
    }

    public static func syscallName(_ number: Int64, arch: Int64?) -> String? {
        let m = arch.flatMap(machine(arch:)) ?? audit_detect_machine()
        guard m >= 0, let name = audit_syscall_to_name(Int32(truncatingIfNeeded: number), m) else { return nil }
        return String(cString: name)
    }

    /// Syscall number for a name on this host's machine type (as ausearch -sc does).
    public static func syscallNumber(_ name: String) -> Int64? {
        let m = audit_detect_machine()
        guard m >= 0 else { return nil }
        let n = audit_name_to_syscall(name, m)
        return n >= 0 ? Int64(n) : nil
    }
}
