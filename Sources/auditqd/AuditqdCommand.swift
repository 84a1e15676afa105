import ArgumentParser
import AuditCLI
import AuditCollector
import AuditQuery
import AuditStore
import Foundation
import Logging

@main
struct AuditqdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditqd",
        abstract: "Collect Linux audit events into an auditq store.",
        discussion: """
        From the kernel audit socket (the default), from auditd's plugin stream (--plugin) or from a growing \
        audit.log (--follow FILE). On the socket it runs in primary mode when no audit daemon is registered \
        (it becomes the audit daemon and loads the rule packs) and in passive mode beside a running auditd \
        (it reads the kernel's multicast copy of every record and loads no rules). SIGTERM or SIGINT stops it \
        after committing everything received; SIGHUP reloads the rules. `auditq status` shows what it did.
        """,
        version: AuditqVersion.string)

    @Option(name: .long, help: ArgumentHelp("The store file (default: $AUDITQ_STORE, else /var/lib/auditq/auditq.db as root, ./auditq.db otherwise).", valueName: "path"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("primary, passive or auto: primary when no audit daemon is registered.", valueName: "mode"))
    var mode: ModeChoice = .auto

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Rule file or directory to load in primary mode; repeatable (default: $AUDITQ_RULES, else /etc/auditq/rules.d, else ./audit_rules).", valueName: "path"))
    var rules: [String] = []

    @Flag(name: .long, help: "Load no rules.")
    var noRules = false

    @Flag(name: .long, help: "Leave the loaded rules in the kernel at exit (by default the rules this run added are removed).")
    var keepRules = false

    @Option(name: .long, help: ArgumentHelp("Kernel backlog limit set in primary mode.", valueName: "records"))
    var backlogLimit: UInt32 = 8192

    @Option(name: .long, help: ArgumentHelp("Kernel backlog wait time set in primary mode.", valueName: "ms"))
    var backlogWaitTime: UInt32 = 60_000

    @Option(name: .long, help: ArgumentHelp("Most events in one committed batch (a batch is committed at least every 100 ms).", valueName: "n"))
    var batchEvents: Int = 4096

    @Option(name: .long, help: ArgumentHelp("Receive buffer of the audit socket: how far a passive collector may fall behind before the kernel drops records for it (ENOBUFS, counted in the ledger).", valueName: "bytes"))
    var receiveBuffer: Int = 16 << 20

    @Flag(name: .long, help: "Run without the BPF sensor (kernel audit records only).")
    var noSensor = false

    @Flag(name: .long, help: "Enforce: deny other processes writing, truncating, renaming or unlinking the store and its WAL, and killing or tracing auditqd (needs BPF-LSM).")
    var protect = false

    @Flag(name: .long, help: "Learn least privilege: keep which syscalls (per ABI) and capabilities every executable uses in every cgroup, as bitmaps in the kernel stored every 5 s, for `auditq profile`.")
    var learn = false

    @Flag(name: .long, help: "Leave the BPF sensor's programs attached at exit (pinned under /sys/fs/bpf/auditq/), recording for the next start: a planned restart loses nothing.")
    var keepSensor = false

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A path whose opens the BPF sensor reports, beside identity files, sudoers, ssh keys, audit logs and the store; a trailing / watches a tree. Repeatable.", valueName: "path"))
    var watch: [String] = []

    @Flag(name: .long, help: "Allow rule files to make the audit configuration immutable (-e 2) until reboot.")
    var allowImmutableRules = false

    @Flag(name: .long, help: "Allow rule files to set failure mode 2 (kernel panic when records are lost).")
    var allowPanicRules = false

    @Flag(name: .long, help: "Run as an auditd plugin: read auditd's event stream (plugin format = string) on standard input until auditd closes it (tools/auditd-plugin/auditq.conf).")
    var plugin = false

    @Option(name: .long, help: ArgumentHelp("Follow a growing audit.log across rotations, resuming where the last run stopped (read access is enough).", valueName: "file"))
    var follow: String?

    @Flag(name: .customLong("no-detect"), help: "Do not run the detectors (audit_rules/detectors/) on committed batches.")
    var noDetect = false

    @Option(name: .customLong("alerts-to"), parsing: .singleValue, help: ArgumentHelp("Send each new alert as a JSON line to stdout, syslog or this file (appended); repeatable. Alerts are stored in any case.", valueName: "dest"))
    var alertsTo: [String] = []

    @Option(name: .customLong("detect-allow"), help: ArgumentHelp("The operator's allow rules for the detectors (JSON; see auditq detect --help).", valueName: "file"))
    var detectAllow: String?

    @Option(name: .customLong("detectors"), help: ArgumentHelp("Run the detectors of this directory instead of the built-in ones.", valueName: "dir"))
    var detectorDirectory: String?

    enum ModeChoice: String, ExpressibleByArgument, CaseIterable { case auto, primary, passive }

    static func main() { mainWithOneLineErrors() }

    func validate() throws {
        if plugin && follow != nil { throw ValidationError("--plugin and --follow exclude each other") }
        if plugin || follow != nil {
            let what = plugin ? "--plugin" : "--follow"
            if mode != .auto { throw ValidationError("\(what) and --mode exclude each other (--mode is for the kernel audit socket)") }
            if !rules.isEmpty || noRules || keepRules {
                throw ValidationError("\(what) loads no rules: --rules, --no-rules and --keep-rules are for the kernel audit socket")
            }
        }
        if noRules && !rules.isEmpty { throw ValidationError("--rules and --no-rules exclude each other") }
        if batchEvents < 1 || batchEvents > 65_536 { throw ValidationError("--batch-events must be 1…65536") }
        if protect && noSensor { throw ValidationError("--protect needs the sensor; drop --no-sensor") }
        if learn && noSensor { throw ValidationError("--learn needs the sensor; drop --no-sensor") }
        if learn && (plugin || follow != nil) { throw ValidationError("--learn needs the BPF sensor, which runs only with the kernel audit socket") }
        if noDetect && (!alertsTo.isEmpty || detectAllow != nil || detectorDirectory != nil) {
            throw ValidationError("--no-detect excludes --alerts-to, --detect-allow and --detectors")
        }
        if backlogLimit == 0 { throw ValidationError("--backlog-limit must be at least 1") }
        if receiveBuffer < 4096 || receiveBuffer > 1 << 30 { throw ValidationError("--receive-buffer must be 4096…1073741824") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "auditqd")
        logger.logLevel = .info
        var config = CollectorConfiguration(storePath: StorePath.resolve(store), version: AuditqVersion.string)
        config.mode = mode == .auto ? nil : AuditSocket.Mode(rawValue: mode.rawValue)
        config.rules = noRules ? [] : (rules.isEmpty ? Self.defaultRules() : rules)
        config.keepRules = keepRules
        config.backlogLimit = backlogLimit
        config.backlogWaitTime = backlogWaitTime
        config.batchEvents = batchEvents
        config.receiveBufferBytes = receiveBuffer
        config.sensor = !noSensor
        config.keepSensor = keepSensor
        config.protect = protect
        config.learn = learn
        config.watchPaths = watch
        config.allowImmutableRules = allowImmutableRules
        config.allowPanicRules = allowPanicRules
        var detection: LiveDetection?
        do {
            if !plugin && follow == nil && geteuid() != 0 {
                throw Failure.exit("the kernel audit socket needs root (CAP_AUDIT_CONTROL, CAP_AUDIT_READ)", code: .noPermission)
            }
            if !noDetect {
                let detectors = try Detector.load(directory: detectorDirectory)
                let allow = try detectAllow.map(AllowRules.load) ?? AllowRules()
                detection = try LiveDetection(storePath: config.storePath, detectors: detectors, allow: allow,
                                              destinations: alertsTo.map(LiveDetection.Destination.init), logger: logger)
            }
            defer { detection?.stop() }
            if plugin {
                _ = try PluginCollector(config: config, logger: logger).run()
            } else if let follow {
                _ = try FollowCollector(path: follow, config: config, logger: logger).run()
            } else {
                let collector = try KernelCollector(config: config, logger: logger)
                _ = try collector.run()
            }
        } catch let e as DetectorError {
            throw Failure.exit(e.description, code: .dataError)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw Failure.exit(error)
        }
    }

    /// $AUDITQ_RULES, /etc/auditq/rules.d, or ./audit_rules when it holds rule files.
    static func defaultRules() -> [String] {
        if let env = ProcessInfo.processInfo.environment["AUDITQ_RULES"], !env.isEmpty { return [env] }
        let fm = FileManager.default
        for dir in ["/etc/auditq/rules.d", "audit_rules"] {
            let names = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
            if names.contains(where: { $0.hasSuffix(".rules") }) { return [dir] }
        }
        return []
    }
}
