import AuditKernel
import CAudit
import Foundation

/// libaudit prints its own complaints on stderr or syslog; auditq reports
/// every failure itself, once, as a RuleError.
let libauditQuiet: Void = set_aumessage_mode(MSG_QUIET, DBG_NO)

/// Reads one line of a rule file the way auditctl's setopt() reads its
/// arguments: option by option, in order, building at most one
/// `audit_rule_data` through libaudit's rule API, and refusing what auditctl
/// refuses with auditctl's words.
struct RuleLineParser {
    /// libaudit keeps the state of the rule being built in globals (the
    /// arch that names syscalls, which kinds of fields were added): one line
    /// at a time, process-wide.
    static let libauditLock = NSLock()

    struct Parsed {
        var commands: [RuleCommand] = []
        /// `-i` or `-c` on this line.
        var policy: ErrorPolicy?
    }

    /// Why a line is refused (the caller adds FILE:LINE).
    struct Refusal: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Parses one line's words. The caller holds `libauditLock`.
    static func parse(_ words: [String]) throws -> Parsed {
        var parser = try RuleLineParser()
        return try parser.run(words)
    }

    private var parsed = Parsed()
    private let rule: RuleData
    /// The list and action of the rule: -a/-A/-d, or exit,always for -w/-W.
    private var target: (delete: Bool, flags: Int32, action: Int32)?
    private var fromWatch = false
    /// Keys from -k and -F key=, joined with AUDIT_KEY_SEPARATOR.
    private var key = ""

    private init() throws {
        _ = libauditQuiet
        auditq_rule_state_reset()
        rule = try RuleData()
    }

    /// The list the fields are checked against (AUDIT_FILTER_UNSET before -a).
    private var list: Int32 { target.map { $0.flags & AUDIT_FILTER_MASK } ?? AUDIT_FILTER_UNSET }

    private mutating func run(_ words: [String]) throws -> Parsed {
        let (options, operands) = try Self.options(words)
        if options.contains(where: { $0.name == "D" }) {
            // auditctl accepts -D alone or followed by -k KEY, nothing else.
            guard words == ["-D"] || (words.count == 3 && words[0] == "-D" && words[1] == "-k") else {
                throw Refusal("Wrong number of options for Delete all request")
            }
            return Parsed(commands: [.deleteAll(key: words.count == 3 ? words[2] : nil)])
        }
        for option in options {
            if try !apply(option) { return parsed }  // "possible": auditctl drops the line
        }
        guard operands.isEmpty else {
            throw Refusal("parameter passed without an option given: \(operands.joined(separator: " "))")
        }
        try finish()
        return parsed
    }

    // MARK: Options

    private mutating func apply(_ option: Option) throws -> Bool {
        let value = option.value ?? ""
        switch option.name {
        case "i": parsed.policy = .ignore
        case "c": parsed.policy = .continueThenFail
        case "e": parsed.commands.append(.setting(.enabled(try Self.flag(value, "Enable"))))
        case "f": parsed.commands.append(.setting(.failure(try Self.flag(value, "Failure"))))
        case "r": parsed.commands.append(.setting(.rateLimit(try Self.number(value, "Rate"))))
        case "b": parsed.commands.append(.setting(.backlogLimit(try Self.number(value, "Backlog"))))
        case "backlog_wait_time":
            parsed.commands.append(.setting(.backlogWaitTime(try Self.number(value, "Backlog_wait_time"))))
        case "reset-lost": parsed.commands.append(.resetLost)
        case "reset_backlog_wait_time_actual": parsed.commands.append(.resetBacklogWaitTimeActual)
        case "loginuid-immutable": parsed.commands.append(.loginuidImmutable)
        case "a", "A", "d": return try setList(option.name, value)
        case "S": try addSyscalls(value)
        case "F": try addField(value)
        case "C": try check(rule.addComparison(value, list: list), value, isField: false)
        case "k":
            guard auditq_rule_state_key_allowed() != 0, target != nil else {
                throw Refusal("key option needs a watch or syscall given prior to it")
            }
            try addKey(value)
        case "p": try setPermissions(value)
        case "w", "W": try setWatch(value, delete: option.name == "W")
        default:
            throw Refusal("\(option.display) is not supported in a rule file")
        }
        return true
    }

    private mutating func setList(_ option: String, _ value: String) throws -> Bool {
        if option != "d", value.contains("task"), auditq_rule_state_syscall_added() != 0 {
            throw Refusal("Syscall auditing requested for task list")
        }
        guard target == nil else {
            throw Refusal(fromWatch ? "watch option can't be given with a syscall"
                                    : "Multiple rule insert/delete operations are not allowed")
        }
        let words = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let bad = (option == "d" ? "Delete" : option == "A" ? "Add" : "Append") + " rule - bad keyword \(value)"
        guard words.count == 2 else { throw Refusal(bad) }
        if words.contains("possible") { return false }
        let actions = ["always": AUDIT_ALWAYS, "never": AUDIT_NEVER]
        let (listName, actionName) = actions[words[0]] != nil ? (words[1], words[0]) : (words[0], words[1])
        let flags = audit_name_to_flag(listName)
        guard flags >= 0, let action = actions[actionName] else { throw Refusal(bad) }
        target = (option == "d", option == "A" ? flags | AUDIT_FILTER_PREPEND : flags, action)
        return true
    }

    private mutating func addSyscalls(_ value: String) throws {
        switch list {
        case AUDIT_FILTER_TASK: throw Refusal("Error: syscall auditing being added to task list")
        case AUDIT_FILTER_USER: throw Refusal("Error: syscall auditing being added to user list")
        case AUDIT_FILTER_FS: throw Refusal("Error: syscall auditing being added to filesystem list")
        case AUDIT_FILTER_EXCLUDE: throw Refusal("Error: syscall auditing cannot be put on exclude list")
        default: break
        }
        if auditq_rule_state_elf() == 0 {
            // No -F arch= yet: names are this machine's, as auditctl does it.
            let machine = audit_detect_machine()
            guard machine >= 0 else { throw Refusal("Error detecting machine type") }
            let elf = audit_machine_to_elf(machine)
            guard elf != 0 else { throw Refusal("Error looking up elf type \(machine)") }
            auditq_rule_state_set_elf(elf)
        }
        let names = value.contains(",") ? value.split(separator: ",").map(String.init) : [value]
        for name in names {
            switch rule.addSyscall(name) {
            case 0: continue
            case -2: throw Refusal("Elf type unknown: 0x\(String(auditq_rule_state_elf(), radix: 16))")
            default: throw Refusal("Syscall name unknown: \(name)")
            }
        }
        auditq_rule_state_mark_syscall()
    }

    private mutating func addField(_ value: String) throws {
        guard target != nil else { throw Refusal("List must be given before field") }
        if value.hasPrefix("key=") {
            try addKey(String(value.dropFirst(4)))
            return
        }
        try check(rule.addField(value, list: list), value)
        if rule.lastField == UInt32(AUDIT_PERM) { auditq_rule_state_mark_perm() }
    }

    private mutating func addKey(_ value: String) throws {
        if value.utf8.count + key.utf8.count + (key.isEmpty ? 0 : 1) > Int(AUDIT_MAX_KEY_LEN) {
            throw Refusal("key option exceeds size limit")
        }
        if !key.isEmpty { key.append(Character(UnicodeScalar(UInt8(AUDIT_KEY_SEPARATOR)))) }
        key += value
    }

    private mutating func setPermissions(_ value: String) throws {
        guard target != nil else { throw Refusal("permission option needs a watch given prior to it") }
        guard value.count <= 4 else { throw Refusal("permission \(value) is too long") }
        var perms: Int32 = 0
        for c in value.lowercased() {
            switch c {
            case "r": perms |= AUDIT_PERM_READ
            case "w": perms |= AUDIT_PERM_WRITE
            case "x": perms |= AUDIT_PERM_EXEC
            case "a": perms |= AUDIT_PERM_ATTR
            default: throw Refusal("Permission \(c) isn't supported")
            }
        }
        guard rule.setWatchPermissions(perms) == 0 else {
            throw Refusal("permission option needs a watch or a path field given prior to it")
        }
        auditq_rule_state_mark_perm()
    }

    private mutating func setWatch(_ value: String, delete: Bool) throws {
        guard target == nil else { throw Refusal("watch option can't be given with a syscall") }
        target = (delete, AUDIT_FILTER_EXIT, AUDIT_ALWAYS)
        fromWatch = true
        auditq_rule_state_mark_syscall()

        guard value.utf8.count < Int(PATH_MAX) else { throw Refusal("The path passed for the watch is too big") }
        guard value.hasPrefix("/") else { throw Refusal("The path must start with '/'") }
        let base = value.split(separator: "/").last.map(String.init) ?? "/"
        guard base.utf8.count <= Int(NAME_MAX) else { throw Refusal("The base name of the path is too big") }
        var path = value
        if path.utf8.count > 2 {
            while path.hasSuffix("/") && path.utf8.count > 1 { path.removeLast() }
        }
        // A directory is watched as a tree (AUDIT_DIR), decided when the
        // rule is built, as auditctl does.
        var info = stat()
        let isDirectory = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        guard rule.setWatch(type: isDirectory ? AUDIT_DIR : AUDIT_WATCH, path: path) == 0 else {
            throw Refusal("a watch must come before any field of its rule")
        }
    }

    /// The rule, once every option is read.
    private mutating func finish() throws {
        guard let target else {
            if auditq_rule_state_syscall_added() != 0 { throw Refusal("Error - no list specified") }
            return
        }
        if !key.isEmpty {
            let pair = "key=\(key)"
            try check(rule.addField(pair, list: target.flags & AUDIT_FILTER_MASK), pair)
        }
        if target.flags & AUDIT_FILTER_MASK != AUDIT_FILTER_TASK && auditq_rule_state_syscall_added() == 0 {
            guard rule.addSyscall("all") == 0 else { throw Refusal("Syscall name unknown: all") }
        }
        rule.setList(target.flags, action: target.action)
        parsed.commands.append(target.delete ? .delete(rule) : .add(rule))
    }

    // MARK: Values

    private static func flag(_ value: String, _ what: String) throws -> UInt32 {
        guard let n = ["0": UInt32(0), "1": 1, "2": 2][value] else {
            throw Refusal("\(what) must be 0, 1, or 2 was \(value)")
        }
        return n
    }

    /// strtoul(value, NULL, 0) after a leading digit, as auditctl reads numbers.
    private static func number(_ value: String, _ what: String) throws -> UInt32 {
        guard let first = value.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw Refusal("\(what) must be a numeric value was \(value)")
        }
        errno = 0
        let n = strtoul(value, nil, 0)
        guard errno == 0, n <= UInt(UInt32.max) else { throw Refusal("Error converting \(what.lowercased()) \(value)") }
        return UInt32(n)
    }

    /// A libaudit rule-building return code, as audit_number_to_errmsg says it.
    private func check(_ rc: Int32, _ pair: String, isField: Bool = true) throws {
        guard rc != 0 else { return }
        if isField, let unknown = Self.unknownAccount(pair) { throw Refusal(unknown) }
        guard let (position, text) = Self.libauditMessages[-rc] else {
            throw Refusal("libaudit error \(rc) for \(pair)")
        }
        switch position {
        case 1: throw Refusal("\(pair) \(text)")
        case 2: throw Refusal("\(text) \(pair)")
        default: throw Refusal(text)
        }
    }

    /// libaudit looks user and group names up itself and says only that it
    /// failed: "Unknown user: NAME", as auditctl shows it.
    private static func unknownAccount(_ pair: String) -> String? {
        guard let opEnd = pair.firstIndex(where: { "!=<>&".contains($0) }) else { return nil }
        let value = pair[opEnd...].drop { "!=<>&".contains($0) }
        guard let first = value.first, !first.isNumber, first != "-", value != "unset" else { return nil }
        switch audit_name_to_field(String(pair[..<opEnd])) {
        case AUDIT_UID, AUDIT_EUID, AUDIT_SUID, AUDIT_FSUID, AUDIT_LOGINUID, AUDIT_OBJ_UID:
            return getpwnam(String(value)) == nil ? "Unknown user: \(value)" : nil
        case AUDIT_GID, AUDIT_EGID, AUDIT_SGID, AUDIT_FSGID, AUDIT_OBJ_GID:
            return getgrnam(String(value)) == nil ? "Unknown group: \(value)" : nil
        default:
            return nil
        }
    }

    /// libaudit's errormsg.h: EAU_* code → (where the option goes, text).
    private static let libauditMessages: [Int32: (Int, String)] = [
        1: (2, "-F missing operation for"),
        2: (2, "-F unknown field:"),
        3: (1, "must be before -S"),
        4: (1, "machine type not found"),
        5: (1, "elf mapping not found"),
        6: (1, "requested bit level not supported by machine"),
        7: (1, "can only be used with exit filter list"),
        8: (2, "-F unknown message type -"),
        9: (0, "msgtype field can only be used with exclude or user filter list"),
        10: (0, "Failed upgrading rule"),
        11: (0, "String value too long"),
        12: (0, "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter"),
        13: (1, "only takes = or != operators"),
        14: (0, "Permission can only contain 'rwxa'"),
        15: (2, "-F unknown errno -"),
        16: (2, "-F unknown file type -"),
        17: (1, "can only be used with exit and entry filter list"),
        19: (0, "Key field needs a watch, syscall or exe path given prior to it"),
        20: (2, "-F missing value after operation for"),
        21: (2, "-F value should be number for"),
        22: (2, "-F missing field name before operator for"),
        24: (2, "-C missing field name before operator for"),
        25: (2, "-C missing value after operation for"),
        26: (2, "-C unknown field:"),
        27: (2, "-C unknown right hand value for comparison with:"),
        28: (2, "Too many fields in rule:"),
        29: (1, "only takes = operator"),
        30: (2, "Field option not supported by kernel:"),
        31: (1, "must be used with exclude, user, or exit filter"),
        32: (0, "filter is missing from rule"),
        33: (2, "-C incompatible comparison"),
        34: (1, "field is not valid for the filter"),
        35: (1, "filter is not supported by the kernel"),
        36: (2, "file system type is unknown for field:"),
        37: (2, "value is too large for field:"),
    ]

    // MARK: Words to options (getopt_long's rules)

    struct Option {
        /// "a", "S", … or a long name such as "backlog_wait_time".
        let name: String
        let value: String?
        var display: String { name.count == 1 ? "-\(name)" : "--\(name)" }
    }

    private static let shortFlags: Set<Character> = ["h", "i", "c", "s", "l", "D", "v", "t"]
    private static let shortWithValue: Set<Character> = ["C", "e", "f", "r", "b", "a", "A", "d", "S", "F", "m", "R", "w", "W", "k", "p", "q"]
    /// Long options and whether they take a value.
    private static let longOptions: [(String, Bool)] = [
        ("loginuid-immutable", false), ("backlog_wait_time", true), ("reset-lost", false),
        ("reset_backlog_wait_time_actual", false), ("signal", true),
    ]

    /// Options in order, and the words that are no option's value.
    static func options(_ words: [String]) throws -> ([Option], [String]) {
        var options: [Option] = []
        var operands: [String] = []
        var i = 0
        func next(_ option: String) throws -> String {
            i += 1
            guard i < words.count else { throw Refusal("option \(option) requires an argument") }
            return words[i]
        }
        while i < words.count {
            let word = words[i]
            if word == "--" {
                operands += words[(i + 1)...]
                break
            } else if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inline = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                // getopt_long takes an unambiguous prefix.
                let matches = longOptions.filter { $0.0 == name } + longOptions.filter { $0.0 != name && $0.0.hasPrefix(name) }
                guard !name.isEmpty, let match = matches.first, matches.count == 1 || match.0 == name else {
                    throw Refusal("Option \(word) is invalid")
                }
                let (long, takesValue) = match
                if takesValue {
                    options.append(Option(name: long, value: try inline ?? next("--\(long)")))
                } else {
                    guard inline == nil else { throw Refusal("option --\(long) takes no value") }
                    options.append(Option(name: long, value: nil))
                }
            } else if word.hasPrefix("-") && word.count > 1 {
                var rest = Substring(word.dropFirst())
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if shortFlags.contains(c) {
                        options.append(Option(name: String(c), value: nil))
                    } else if shortWithValue.contains(c) {
                        options.append(Option(name: String(c), value: rest.isEmpty ? try next("-\(c)") : String(rest)))
                        break
                    } else {
                        throw Refusal("Option -\(c) is invalid")
                    }
                }
            } else {
                operands.append(word)
            }
            i += 1
        }
        return (options, operands)
    }
}
