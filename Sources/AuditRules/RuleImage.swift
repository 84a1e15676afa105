import CAudit

/// The content of one `struct audit_rule_data` as plain values: what a rule
/// file would send, or what the kernel lists. Two images are equal when the
/// kernel would treat them as the same rule.
struct RuleImage: Sendable {
    struct Field: Equatable, Sendable {
        /// AUDIT_UID, AUDIT_ARCH, … (old kernels folded the operator in).
        var type: UInt32
        /// AUDIT_EQUAL, AUDIT_NOT_EQUAL, …
        var op: UInt32
        /// The number, or the length of the string in `buf`.
        var value: UInt32

        var kind: Int32 { Int32(bitPattern: type & ~RuleImage.operatorBits) }
        var symbol: UInt32 { op & RuleImage.operatorBits }

        /// Fields whose value is a string stored in the rule's buffer (the
        /// set auditctl-listing.c walks the buffer with).
        var isString: Bool {
            let k = kind
            return (k >= AUDIT_SUBJ_USER && k <= AUDIT_OBJ_LEV_HIGH && k != AUDIT_PPID)
                || k == AUDIT_WATCH || k == AUDIT_DIR || k == AUDIT_FILTERKEY || k == AUDIT_EXE
        }
    }

    /// AUDIT_OPERATORS (a macro Swift does not import).
    static let operatorBits = UInt32(AUDIT_EQUAL | AUDIT_NOT_EQUAL | AUDIT_BIT_MASK)

    var flags: UInt32
    var action: UInt32
    /// AUDIT_BITMASK_SIZE words, one bit per syscall number.
    var mask: [UInt32]
    var fields: [Field]
    var buf: [UInt8]

    var list: Int32 { Int32(bitPattern: flags) & AUDIT_FILTER_MASK }

    /// Each field with its string value (for string fields).
    var fieldsWithStrings: [(field: Field, string: [UInt8]?)] {
        var offset = 0
        return fields.map { field in
            guard field.isString else { return (field, nil) }
            let end = min(buf.count, offset + Int(field.value))
            let bytes = Array(buf[min(offset, end)..<end])
            offset = end
            return (field, bytes)
        }
    }

    /// The key field as the kernel holds it (several keys joined by
    /// AUDIT_KEY_SEPARATOR), if the rule has one.
    var key: String? {
        fieldsWithStrings.first { $0.field.kind == AUDIT_FILTERKEY }.map { String(decoding: $0.string ?? [], as: UTF8.self) }
    }

    /// The keys one by one, as `-k` gave them.
    var keys: [String] {
        key.map { $0.split(separator: Character(UnicodeScalar(UInt8(AUDIT_KEY_SEPARATOR)))).map(String.init) } ?? []
    }
}

extension RuleImage: Equatable {
    /// The kernel folds the syscall-class bits at the top of the last mask
    /// word into the other words and clears them, so a rule on "all"
    /// syscalls comes back with that word changed; auditctl itself only
    /// looks at the first AUDIT_BITMASK_SIZE - 1 words.
    static func == (a: RuleImage, b: RuleImage) -> Bool {
        a.flags == b.flags && a.action == b.action && a.fields == b.fields && a.buf == b.buf
            && a.mask.prefix(Int(AUDIT_BITMASK_SIZE) - 1) == b.mask.prefix(Int(AUDIT_BITMASK_SIZE) - 1)
    }
}
