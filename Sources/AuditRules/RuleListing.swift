import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// Prints rules the way `auditctl -l` prints them (auditctl-listing.c of
/// audit 3.0): watches as `-w PATH -p PERMS -k KEY`, everything else as
/// `-a ACTION,LIST -F arch=… -S … -F …`, fields in the kernel's order.
///
/// One listing is one value: like auditctl, it names the syscalls of a rule
/// without an arch field with the arch of the last rule that had one.
struct RuleListing {
    private var elf: UInt32 = 0

    /// The lines for `rules`, in order; "No rules" is the caller's.
    static func lines(_ rules: [RuleImage]) -> [String] {
        var listing = RuleListing()
        return rules.map { listing.line($0) }
    }

    mutating func line(_ rule: RuleImage) -> String {
        let watch = Self.isWatch(rule)
        var out = ""
        if !watch {
            out += "-a \(Self.string(audit_action_to_name(Int32(bitPattern: rule.action)))),"
                + Self.string(audit_flag_to_name(Int32(bitPattern: rule.flags)))
            for field in rule.fields where field.kind == AUDIT_ARCH {
                out += arch(field)
            }
            out += syscalls(rule)
        }
        for (field, string) in rule.fieldsWithStrings where field.kind != AUDIT_ARCH {
            out += Self.text(field, string: string.map { Self.cString($0) }, watch: watch)
        }
        return out
    }

    // MARK: Pieces

    private static func takesSyscalls(_ rule: RuleImage) -> Bool {
        ![AUDIT_FILTER_USER, AUDIT_FILTER_TASK, AUDIT_FILTER_EXCLUDE, AUDIT_FILTER_FS].contains(rule.list)
    }

    private static func allSyscalls(_ rule: RuleImage) -> Bool {
        rule.mask.prefix(Int(AUDIT_BITMASK_SIZE) - 1).allSatisfy { $0 == ~0 }
    }

    /// A watch: only path/dir, perm and key fields, a perm field, and all
    /// syscalls.
    private static func isWatch(_ rule: RuleImage) -> Bool {
        let watchFields: Set<Int32> = [AUDIT_PERM, AUDIT_FILTERKEY, AUDIT_DIR, AUDIT_WATCH]
        guard rule.fields.allSatisfy({ watchFields.contains($0.kind) }),
              rule.fields.contains(where: { $0.kind == AUDIT_PERM }) else { return false }
        return !takesSyscalls(rule) || allSyscalls(rule)
    }

    private mutating func arch(_ field: RuleImage.Field) -> String {
        elf = field.value
        let op = Self.symbol(field)
        guard audit_elf_to_machine(elf) >= 0 else { return " -F arch\(op)0x\(Self.hex(elf))" }
        return " -F arch\(op)" + (elf & UInt32(__AUDIT_ARCH_64BIT) != 0 ? "b64" : "b32")
    }

    private func syscalls(_ rule: RuleImage) -> String {
        guard Self.takesSyscalls(rule) else { return "" }
        if Self.allSyscalls(rule) { return " -S all" }
        let machine = elf != 0 ? audit_elf_to_machine(elf) : audit_detect_machine()
        var names: [String] = []
        for number in 0..<(Int(AUDIT_BITMASK_SIZE) * 32) where rule.mask[number / 32] & (1 << UInt32(number % 32)) != 0 {
            let name = machine < 0 ? nil : audit_syscall_to_name(Int32(number), machine)
            names.append(name.map { String(cString: $0) } ?? "\(number)")
        }
        return names.isEmpty ? "" : " -S " + names.joined(separator: ",")
    }

    private static func text(_ field: RuleImage.Field, string: String?, watch: Bool) -> String {
        let kind = field.kind
        let op = symbol(field)
        let signed = Int32(bitPattern: field.value)
        guard let cName = audit_field_to_name(kind) else {
            return " f\(Int32(bitPattern: field.type))\(op)\(signed)"
        }
        let name = String(cString: cName)
        switch kind {
        case AUDIT_MSGTYPE:
            return " -F \(name)\(op)" + (audit_msg_type_to_name(signed).map { String(cString: $0) } ?? "\(signed)")
        case AUDIT_WATCH:
            return watch ? "-w \(string ?? "")" : " -F path=\(string ?? "")"
        case AUDIT_DIR:
            return watch ? "-w \(string ?? "")" : " -F dir=\(string ?? "")"
        case AUDIT_EXE:
            return " -F exe=\(string ?? "")"
        case AUDIT_FILTERKEY:
            let keys = (string ?? "").split(separator: Character(UnicodeScalar(UInt8(AUDIT_KEY_SEPARATOR))))
            return keys.map { watch ? " -k \($0)" : " -F key=\($0)" }.joined()
        case AUDIT_PERM:
            var perms = ""
            if field.value & UInt32(AUDIT_PERM_READ) != 0 { perms += "r" }
            if field.value & UInt32(AUDIT_PERM_WRITE) != 0 { perms += "w" }
            if field.value & UInt32(AUDIT_PERM_EXEC) != 0 { perms += "x" }
            if field.value & UInt32(AUDIT_PERM_ATTR) != 0 { perms += "a" }
            return watch ? " -p \(perms)" : " -F perm=\(perms)"
        case AUDIT_INODE:
            return " -F \(name)\(op)\(field.value)"
        case AUDIT_FIELD_COMPARE:
            return comparisons[signed].map { " -C \($0.0)\(op)\($0.1)" } ?? ""
        case AUDIT_ARG0...AUDIT_ARG3:
            return " -F \(name)\(op)0x\(hex(field.value))"
        case AUDIT_EXIT:
            if signed < 0, let err = audit_errno_to_name(-signed) {
                return " -F \(name)\(op)-\(String(cString: err))"
            }
            return " -F \(name)\(op)\(signed)"
        case AUDIT_FSTYPE:
            return " -F \(name)\(op)" + (audit_fstype_to_name(signed).map { String(cString: $0) } ?? "\(signed)")
        default:
            if let string { return " -F \(name)\(op)\(string)" }
            return " -F \(name)\(op)\(signed)"
        }
    }

    /// `-C` comparisons by AUDIT_COMPARE_* value.
    private static let comparisons: [Int32: (String, String)] = [
        AUDIT_COMPARE_UID_TO_OBJ_UID: ("uid", "obj_uid"),
        AUDIT_COMPARE_GID_TO_OBJ_GID: ("gid", "obj_gid"),
        AUDIT_COMPARE_EUID_TO_OBJ_UID: ("euid", "obj_uid"),
        AUDIT_COMPARE_EGID_TO_OBJ_GID: ("egid", "obj_gid"),
        AUDIT_COMPARE_AUID_TO_OBJ_UID: ("auid", "obj_uid"),
        AUDIT_COMPARE_SUID_TO_OBJ_UID: ("suid", "obj_uid"),
        AUDIT_COMPARE_SGID_TO_OBJ_GID: ("sgid", "obj_gid"),
        AUDIT_COMPARE_FSUID_TO_OBJ_UID: ("fsuid", "obj_uid"),
        AUDIT_COMPARE_FSGID_TO_OBJ_GID: ("fsgid", "obj_gid"),
        AUDIT_COMPARE_UID_TO_AUID: ("uid", "auid"),
        AUDIT_COMPARE_UID_TO_EUID: ("uid", "euid"),
        AUDIT_COMPARE_UID_TO_FSUID: ("uid", "fsuid"),
        AUDIT_COMPARE_UID_TO_SUID: ("uid", "suid"),
        AUDIT_COMPARE_AUID_TO_FSUID: ("auid", "fsuid"),
        AUDIT_COMPARE_AUID_TO_SUID: ("auid", "suid"),
        AUDIT_COMPARE_AUID_TO_EUID: ("auid", "euid"),
        AUDIT_COMPARE_EUID_TO_SUID: ("euid", "suid"),
        AUDIT_COMPARE_EUID_TO_FSUID: ("euid", "fsuid"),
        AUDIT_COMPARE_SUID_TO_FSUID: ("suid", "fsuid"),
        AUDIT_COMPARE_GID_TO_EGID: ("gid", "egid"),
        AUDIT_COMPARE_GID_TO_FSGID: ("gid", "fsgid"),
        AUDIT_COMPARE_GID_TO_SGID: ("gid", "sgid"),
        AUDIT_COMPARE_EGID_TO_FSGID: ("egid", "fsgid"),
        AUDIT_COMPARE_EGID_TO_SGID: ("egid", "sgid"),
        AUDIT_COMPARE_SGID_TO_FSGID: ("sgid", "fsgid"),
    ]

    // MARK: C strings

    private static func symbol(_ field: RuleImage.Field) -> String {
        string(audit_operator_to_symbol(Int32(bitPattern: field.symbol)))
    }

    /// What printf("%s") shows for a C string, NULL included.
    private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? "(null)"
    }

    /// printf("%.*s"): stops at a NUL.
    private static func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func hex(_ value: UInt32) -> String {
        String(value, radix: 16, uppercase: true)
    }
}
