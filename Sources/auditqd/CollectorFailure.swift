import ArgumentParser
import AuditCollector
import AuditKernel
import AuditRules
import AuditStore
import Foundation

/// One clear line on stderr and a meaningful exit status (sysexits.h).
enum CollectorFailure {
    static func exit(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("auditqd: \(message)\n".utf8))
        return ExitCode(code)
    }

    static func exit(_ error: Error) -> ExitCode {
        switch error {
        case let e as ExitCode: return e
        case let e as RuleError: return exit(e.description, code: 65)          // EX_DATAERR
        case let e as StoreError:
            switch e {
            case .missing: return exit(e.description, code: 66)
            case .notAStore, .newerSchema, .corruptBlock: return exit(e.description, code: 65)
            case .cannotCreate, .readOnly: return exit(e.description, code: 73)
            case .diskFull, .sqlite: return exit(e.description, code: 74)
            }
        case let e as AuditSocketError where e.errno == EPERM || e.errno == EACCES:
            return exit(e.description, code: 77)                                   // EX_NOPERM
        case let e as CollectorError: return exit(e.description, code: 69)       // EX_UNAVAILABLE
        default: return exit("\(error)", code: 1)
        }
    }
}
