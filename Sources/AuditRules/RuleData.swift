import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// One `struct audit_rule_data`: built option by option through libaudit,
/// or copied from the kernel's rule list. Owns the memory and frees it in
/// deinit. Once a line is parsed the rule is not changed again (libaudit's
/// send functions write the same list and action back into it), so it may be
/// shared between threads.
final class RuleData: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<audit_rule_data>

    init() throws {
        guard let rule = audit_rule_create_data() else {
            throw RuleError.call("audit_rule_create_data", errno: ENOMEM)
        }
        pointer = rule
    }

    /// A copy of a rule the kernel sent (it lives in a reused reply buffer).
    init(copying rule: UnsafePointer<audit_rule_data>) throws {
        let size = auditq_rule_data_size(rule)
        guard let raw = malloc(size) else { throw RuleError.call("malloc", errno: ENOMEM) }
        memcpy(raw, rule, size)
        pointer = raw.assumingMemoryBound(to: audit_rule_data.self)
    }

    deinit { audit_rule_free_data(pointer) }

    var flags: Int32 { Int32(bitPattern: pointer.pointee.flags) }
    var action: Int32 { Int32(bitPattern: pointer.pointee.action) }
    var fieldCount: Int { Int(pointer.pointee.field_count) }

    /// The type of the last field added, if any.
    var lastField: UInt32? {
        let count = fieldCount
        guard count > 0 else { return nil }
        return withUnsafeBytes(of: pointer.pointee.fields) { $0.load(fromByteOffset: (count - 1) * 4, as: UInt32.self) }
    }

    // MARK: Building (RuleLineParser, under RuleLineParser.libauditLock)

    /// `-F field<op>value`: audit_rule_fieldpair_data's return code.
    func addField(_ pair: String, list: Int32) -> Int32 {
        reallocating { rulep in
            var text = Array(pair.utf8CString)  // libaudit writes NULs over the operator
            return text.withUnsafeMutableBufferPointer { audit_rule_fieldpair_data(rulep, $0.baseAddress, list) }
        }
    }

    /// `-C field<op>field`: audit_rule_interfield_comp_data's return code.
    func addComparison(_ pair: String, list: Int32) -> Int32 {
        reallocating { rulep in
            var text = Array(pair.utf8CString)
            return text.withUnsafeMutableBufferPointer { audit_rule_interfield_comp_data(rulep, $0.baseAddress, list) }
        }
    }

    /// One syscall name or number, or "all".
    func addSyscall(_ name: String) -> Int32 {
        audit_rule_syscallbyname_data(pointer, name)
    }

    /// `-w PATH`: makes this an exit,always rule on all syscalls with a
    /// watch (or dir) field and every permission.
    func setWatch(type: Int32, path: String) -> Int32 {
        reallocating { audit_add_watch_dir(type, $0, path) }
    }

    func setWatchPermissions(_ perms: Int32) -> Int32 {
        audit_update_watch_perms(pointer, perms)
    }

    /// The list (with AUDIT_FILTER_PREPEND for -A) and action the rule is
    /// sent with; set once, when the line is complete.
    func setList(_ flags: Int32, action: Int32) {
        pointer.pointee.flags = UInt32(bitPattern: flags)
        pointer.pointee.action = UInt32(bitPattern: action)
    }

    /// libaudit may realloc the rule (string fields grow its buffer) and
    /// frees it when that fails.
    private func reallocating(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<audit_rule_data>?>) -> Int32) -> Int32 {
        var rule: UnsafeMutablePointer<audit_rule_data>? = pointer
        let rc = body(&rule)
        if let rule {
            pointer = rule
        } else {
            // Out of memory and the old rule is gone: keep an empty one so
            // deinit stays valid; the caller reports rc.
            pointer = audit_rule_create_data()!
        }
        return rc
    }

    // MARK: Reading

    /// The rule's content as plain values.
    var image: RuleImage {
        let rule = pointer.pointee
        let count = Int(rule.field_count)
        let mask = withUnsafeBytes(of: rule.mask) { Array($0.bindMemory(to: UInt32.self)) }
        let types = withUnsafeBytes(of: rule.fields) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let values = withUnsafeBytes(of: rule.values) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let ops = withUnsafeBytes(of: rule.fieldflags) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let buf = UnsafeRawPointer(auditq_rule_data_buf(pointer)!)
        // -A's AUDIT_FILTER_PREPEND says where the rule goes; the kernel
        // does not keep it with the rule.
        return RuleImage(
            flags: rule.flags & ~UInt32(AUDIT_FILTER_PREPEND), action: rule.action, mask: mask,
            fields: (0..<count).map { RuleImage.Field(type: types[$0], op: ops[$0], value: values[$0]) },
            buf: Array(UnsafeRawBufferPointer(start: buf, count: Int(rule.buflen))))
    }
}
