import ArgumentParser

/// The exit statuses both executables use (sysexits.h where one fits); the
/// README's "Exit status" section lists them.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// No match (search, tree), a broken chain (verify), a gap in coverage
    /// (status), rules that differ (rules diff) or a rule the kernel refused.
    case failed = 1
    /// An answer made across losses the ledger records (profile: learned
    /// while events were lost, so it may lack what they showed).
    case incomplete = 3
    case usage = 64          // EX_USAGE
    case dataError = 65      // EX_DATAERR: malformed input, a bad rule line, not a store
    case noInput = 66        // EX_NOINPUT: missing input file or store
    case unavailable = 69    // EX_UNAVAILABLE: auditqd cannot collect
    case cannotCreate = 73   // EX_CANTCREAT
    case ioError = 74        // EX_IOERR: disk full, SQLite I/O
    case noPermission = 77   // EX_NOPERM: not root, no CAP_AUDIT_CONTROL

    public var exitCode: ExitCode { ExitCode(rawValue) }
}

/// An error that knows its exit status, for errors of modules the shared
/// mapping does not link (the collector's, declared by auditqd).
public protocol ExitStatusError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}
