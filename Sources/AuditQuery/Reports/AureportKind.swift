import AuditRecords

/// The aureport list reports auditq reproduces, with the titles, column
/// headers and membership rules of aureport (aureport-scan.c
/// per_event_detailed / per_event_summary, aureport-output.c).
public enum AureportKind: String, CaseIterable, Sendable {
    case auth, login, user, executable, file, syscall, key, anomaly, mods, config

    /// aureport's option for this report, for help texts and tests.
    public var aureportFlag: String {
        switch self {
        case .auth: "-au"
        case .login: "-l"
        case .user: "-u"
        case .executable: "-x"
        case .file: "-f"
        case .syscall: "-s"
        case .key: "-k"
        case .anomaly: "-n"
        case .mods: "-m"
        case .config: "-c"
        }
    }

    /// Title and "# date time …" header of the per-event list.
    var listTitle: (title: String, header: String) {
        switch self {
        case .auth: ("Authentication Report", "# date time acct host term exe success event")
        case .login: ("Login Report", "# date time auid host term exe success event")
        case .user: ("User ID Report", "# date time auid term host exe event")
        case .executable: ("Executable Report", "# date time exe term host auid event")
        case .file: ("File Report", "# date time file syscall success exe auid event")
        case .syscall: ("Syscall Report", "# date time syscall pid comm auid event")
        case .key: ("Key Report", "# date time key success exe auid event")
        case .anomaly: ("Anomaly Report", "# date time type exe term host auid event")
        case .mods: ("Account Modifications Report", "# date time auid addr term exe acct success event")
        case .config: ("Config Change Report", "# date time type auid success event")
        }
    }

    /// Column names of a list row after "date time" (JSON keys too).
    public var columns: [String] {
        listTitle.header.split(separator: " ").dropFirst(3).map(String.init)
    }

    /// Title, the counted object's name and the rule width of the --summary form.
    var summaryTitle: (title: String, object: String, rule: Int) {
        switch self {
        case .auth: ("Authentication Summary Report", "acct", 29)
        case .login: ("Login Summary Report", "auid", 28)
        case .user: ("User Summary Report", "auid", 27)
        case .executable: ("Executable Summary Report", "file", 33)
        case .file: ("File Summary Report", "file", 27)
        case .syscall: ("Syscall Summary Report", "syscall", 26)
        case .key: ("Key Summary Report", "key", 27)
        case .anomaly: ("Anomaly Summary Report", "type", 22)
        case .mods: ("Acct Modification Summary Report", "type", 32)
        case .config: ("Config Change Summary Report", "type", 28)
        }
    }

    /// Which events a type-decided report takes, from the record types of
    /// the event (numbers as in libaudit.h). nil: the report is decided by a
    /// column instead (user, executable, file, syscall, key).
    func membership(_ types: Set<Int32>) -> TypeMembership? {
        func has(_ t: Int32) -> Bool { types.contains(t) }
        func any(_ r: ClosedRange<Int32>) -> Bool { types.contains(where: r.contains) }
        switch self {
        case .auth:
            // USER_AUTH; else USER_ACCT, but only its failures.
            if has(1100) { return .always }
            return has(1101) ? .whenFailed : .never
        case .login:
            return has(1112) ? .always : .never                                    // USER_LOGIN
        case .anomaly:
            // ANOM_*, kernel ANOM_*, and SECCOMP, which aureport 3.x lists as an anomaly too
            return any(2100...2199) || any(1700...1799) || has(1326) ? .always : .never
        case .mods:
            // USER_CHAUTHTOK, ADD/DEL_USER/GROUP, CHGRP_ID, ROLE_ASSIGN/REMOVE, USER_MGMT,
            // GRP_MGMT, GRP_CHAUTHTOK: the set aureport --summary counts as account changes.
            let account = has(1108) || any(1114...1117) || has(1119) || any(2301...2302)
            return account || has(1102) || has(1132) || has(1133) ? .always : .never
        case .config:
            // CONFIG_CHANGE, DAEMON_CONFIG, USYS_CONFIG, MAC_POLICY_LOAD … MAC_UNLBL_STCDEL
            return has(1305) || has(1203) || has(1111) || any(1403...1416) ? .always : .never
        case .user, .executable, .file, .syscall, .key:
            return nil
        }
    }

    enum TypeMembership { case always, whenFailed, never }
}

/// --success / --failed, as aureport takes them.
public enum ReportOutcome: String, Sendable {
    case any, success, failed
}
