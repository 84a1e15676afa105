import ArgumentParser
import AuditRecords
import AuditStore
import Foundation

/// One clear line on stderr and a meaningful exit status (sysexits.h).
enum Failure {
    static let noMatch: Int32 = 1
    static let dataError: Int32 = 65      // EX_DATAERR: malformed input
    static let noInput: Int32 = 66        // EX_NOINPUT: missing input file or store
    static let cannotCreate: Int32 = 73   // EX_CANTCREAT
    static let ioError: Int32 = 74        // EX_IOERR: disk full, SQLite I/O

    static func exit(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("auditq: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// Maps any error to its line and exit status.
    static func exit(_ error: Error) -> ExitCode {
        switch error {
        case let e as ImportFailure:
            guard e.summary.inserted > 0 else { return exit(e.underlying) }
            // Still one line: the cause, then what was kept.
            let kept = "; kept \(e.summary.inserted) whole event(s) committed before it"
            switch e.underlying {
            case let u as LogFormatError: return exit(u.description + kept, code: dataError)
            case let u as StoreError: return exit(u.description + kept, code: ioError)
            default: return exit(e.underlying)
            }
        case let e as LogFormatError: return exit(e.description, code: dataError)
        case let e as LogInputError: return exit(e.description, code: noInput)
        case let e as StoreError:
            switch e {
            case .missing: return exit(e.description, code: noInput)
            case .notAStore, .newerSchema, .corruptBlock: return exit(e.description, code: dataError)
            case .cannotCreate, .readOnly: return exit(e.description, code: cannotCreate)
            case .diskFull, .sqlite: return exit(e.description, code: ioError)
            }
        case let e as TimeSpec.Invalid: return exit(e.description, code: 64)
        default: return exit("\(error)", code: ioError)
        }
    }
}

import AuditQuery
