import ArgumentParser
import AuditKernel
import AuditQuery
import AuditRecords
import AuditRules
import AuditStore
import Foundation

/// One clear line on stderr, "TOOL: message", and the exit status that goes
/// with it: the one mapping from error to exit status both executables use.
public enum Failure {
    public static func exit(_ message: String, code: ExitStatus) -> ExitCode {
        FileHandle.standardError.write(Data("\(ProcessInfo.processInfo.processName): \(message)\n".utf8))
        return code.exitCode
    }

    /// Prints any error as its line and returns its exit status; an
    /// `ExitCode` (already reported) passes through.
    public static func exit(_ error: Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        let (message, status) = describe(error)
        return exit(message, code: status)
    }

    /// The line and exit status of an error.
    public static func describe(_ error: Error) -> (String, ExitStatus) {
        switch error {
        case let e as ExitStatusError: return (e.description, e.exitStatus)
        case let e as ImportFailure:
            guard e.summary.inserted > 0 else { return describe(e.underlying) }
            // Still one line: the cause, then what was kept.
            let kept = "; kept \(e.summary.inserted) whole event(s) committed before it"
            switch e.underlying {
            case let u as LogFormatError: return (u.description + kept, .dataError)
            case let u as StoreError: return (u.description + kept, .ioError)
            default: return describe(e.underlying)
            }
        case let e as LogFormatError: return (e.description, .dataError)
        case let e as LogInputError: return (e.description, .noInput)
        case let e as StoreError:
            switch e {
            case .missing: return (e.description, .noInput)
            case .noAccess: return (e.description, .noPermission)
            case .notAStore, .newerSchema, .corruptBlock, .behindHead: return (e.description, .dataError)
            case .cannotCreate, .readOnly: return (e.description, .cannotCreate)
            case .diskFull, .sqlite: return (e.description, .ioError)
            }
        case let e as TimeSpec.Invalid: return (e.description, .usage)
        case let e as RuleError:
            switch e.kind {
            case .syntax, .refused: return (e.description, .dataError)
            case .missingFile: return (e.description, .noInput)
            case .permission: return (e.description, .noPermission)
            case .kernel: return (e.description, .failed)
            }
        case let e as AuditSocketError:
            return (e.description, e.errno == EPERM || e.errno == EACCES ? .noPermission : .unavailable)
        default: return ("\(error)", .ioError)
        }
    }
}
