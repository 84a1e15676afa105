import ArgumentParser
import AuditCLI
import AuditRules
import Foundation

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Load, list and compare the kernel's audit rules (auditctl syntax, through libaudit).",
        discussion: """
        Rule files use auditctl's syntax, one auditctl command per line, as in /etc/audit/rules.d; a \
        directory stands for its *.rules files sorted by name, as augenrules reads them. Rules are built \
        and sent with libaudit's rule API, not by running auditctl. Changing or listing rules needs root \
        (CAP_AUDIT_CONTROL).
        """,
        subcommands: [Load.self, List.self, Diff.self])
}

extension RulesCommand {
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load rule files into the kernel.",
            discussion: """
            Every file is parsed before anything is sent: a line auditctl would refuse is named as FILE:LINE \
            and nothing is loaded (exit 65). When the kernel refuses a line, the rules its file added before \
            it are deleted again and the line is named with the kernel's reason (exit 1); after -i or -c \
            in a file such lines are reported and passed over (-c then exits 1 at the end, as auditctl \
            does). '-e 2' and '-f 2' are refused unless allowed below. Exit 66 for a missing file, 77 \
            without root.
            """)

        @Flag(help: "Let '-e 2' through: the audit configuration is then locked until reboot.")
        var allowImmutable = false

        @Flag(help: "Let '-f 2' through: the kernel then panics when it cannot audit.")
        var allowPanic = false

        @Argument(help: ArgumentHelp("Rule files or directories of *.rules files.", valueName: "file-or-dir"))
        var paths: [String]

        func validate() throws {
            if paths.isEmpty { throw ValidationError("name at least one rule file or directory") }
        }

        func run() throws {
            var options = LoadOptions()
            options.allowImmutable = allowImmutable
            options.allowPanic = allowPanic
            let report: LoadReport
            let set: RuleSet
            do {
                set = try RuleSet.read(paths)
                report = try RuleLoader().load(set, options: options)
            } catch let error as RuleError {
                throw Failure.exit(error)
            }
            for error in report.passedOver {
                FileHandle.standardError.write(Data("auditq: passed over \(error)\n".utf8))
            }
            print("\(set.files.count) file(s): \(report)")
            if report.failed {
                throw Failure.exit("a line failed while -c was in force", code: .failed)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the kernel's audit rules exactly as 'auditctl -l' does.",
            discussion: "Prints \"No rules\" when none are loaded. Exit 77 without root.")

        func run() throws {
            let rules: [String]
            do {
                rules = try RuleLoader().activeRules()
            } catch let error as RuleError {
                throw Failure.exit(error)
            }
            print(rules.isEmpty ? "No rules" : rules.joined(separator: "\n"))
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare rule files with the kernel's rules.",
            discussion: """
            Each rule of the files is built as libaudit would send it (nothing is sent) and compared field \
            by field with the kernel's rules. Prints '+ RULE' for a rule in the files that is not loaded and \
            '- RULE' for a loaded rule that is not in the files, in 'auditctl -l' form; the order of rules \
            is not compared. Exit 0 when they match, 1 when they differ (as diff(1)), 65 for a bad rule \
            file, 66 for a missing one, 77 without root.
            """)

        @Argument(help: ArgumentHelp("Rule files or directories of *.rules files.", valueName: "file-or-dir"))
        var paths: [String]

        func validate() throws {
            if paths.isEmpty { throw ValidationError("name at least one rule file or directory") }
        }

        func run() throws {
            let diff: RuleDiff
            do {
                diff = try RuleLoader().diff(RuleSet.read(paths))
            } catch let error as RuleError {
                throw Failure.exit(error)
            }
            for line in diff.lines { print(line) }
            if !diff.isEmpty { throw ExitStatus.failed.exitCode }
        }
    }
}
