import AuditKernel
import AuditRecords
import AuditRules
import AuditSensor
import AuditStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `auditqd` on the kernel audit socket: chooses primary or passive mode,
/// loads rule packs (primary), receives records, groups them with auparse,
/// commits them in batches, and keeps the ledger — start and stop, the rule
/// set, kernel `lost` rises, socket overruns, serial gaps — until SIGTERM or
/// SIGINT. SIGHUP reloads the rules.
public final class KernelCollector {
    public static let source = "kernel"
    private let config: CollectorConfiguration
    private let logger: Logger
    private let signals: SignalWatcher

    public init(config: CollectorConfiguration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        // Before any thread starts, so every thread inherits the blocked set.
        signals = try SignalWatcher()
    }

    /// Collects until a stop signal; returns what the run counted.
    public func run() throws -> Ledger.Stop {
        let store = try CollectorRun.openStore(config)
        let control = try KernelAuditControl()
        let found = try control.status()
        let mode = try chooseMode(found)

        var enabledByUs = false
        let socket: AuditSocket
        if mode == .primary {
            try control.set(.backlogLimit(config.backlogLimit))
            try control.set(.backlogWaitTime(config.backlogWaitTime))
            socket = try AuditSocket(mode: .primary, receiveBufferBytes: config.receiveBufferBytes)
            if found.enabled == 0 {
                try control.set(.enabled(1))
                enabledByUs = true
            }
        } else {
            socket = try AuditSocket(mode: .passive, receiveBufferBytes: config.receiveBufferBytes)
        }

        var options = LoadOptions()
        options.allowImmutable = config.allowImmutableRules
        options.allowPanic = config.allowPanicRules
        var rules = RuleKeeper(paths: config.rules, options: options, logger: logger)
        do {
            let run = try CollectorRun(store: store, config: config, source: Self.source, serials: .thisBoot, dropsEndOfEvent: true,
                                       start: { [config] row in
                                           row.lostAtStart = found.lost
                                           row.backlogLimit = mode == .primary ? config.backlogLimit : found.backlogLimit
                                           row.backlogWaitTime = mode == .primary ? config.backlogWaitTime : found.backlogWaitTime
                                       }, mode: mode.rawValue,
                                       consequence: "records it had not committed are lost and the ledger says so", logger: logger)
            let ingest = run.ingest

            if mode == .primary {
                try rules.load(into: ingest)
            } else if !config.rules.isEmpty {
                logger.notice("passive mode: the audit daemon owns the rules; \(config.rules.joined(separator: " ")) not loaded")
            }
            var sensor: SensorKeeper?
            if config.sensor {
                var keeper = try SensorKeeper(store: store, storePath: config.storePath, extraWatches: config.watchPaths,
                                              protect: config.protect, learn: config.learn, logger: logger)
                ingest.record(keeper.row)
                keeper.start(into: ingest)
                sensor = keeper
            }
            logger.info("collecting in \(mode.rawValue) mode into \(config.storePath)\(mode == .primary ? " (registered as the audit daemon, pid \(getpid()))" : " (beside audit daemon pid \(found.pid))"); \(rules.summary)")

            var loop = ReceiveLoop(socket: socket, control: control, ingest: ingest, lost: found.lost, logger: logger)
            if mode == .primary { loop.expectOwnConfigChanges() }  // the settings and rules just loaded
            var reason = "stopped"
            var storeGone: String?
            running: while true {
                try loop.wait(signals: signals, also: sensor?.inbox.fd)
                for signal in signals.take() {
                    switch signal {
                    case .stop:
                        reason = signal.stopReason
                        break running
                    case .reload:
                        if mode == .primary {
                            rules.reload(into: ingest)
                            loop.expectOwnConfigChanges()
                        } else {
                            logger.info("SIGHUP: passive mode loads no rules")
                        }
                    }
                }
                let mayAge = try loop.drain()
                try sensor?.drain(into: ingest)
                try ingest.tick(agingEvents: mayAge)
                if try loop.pollLostIfDue() { sensor?.checkDrops(into: ingest, logger: logger) }
                if let gone = run.storeWatch.gone() {
                    logger.error("\(gone): stopping")
                    (reason, storeGone) = (gone, gone)
                    break running
                }
            }

            // Stop: rule removal and the flag change come back as CONFIG_CHANGE
            // records, which are drained and stored before the last commit.
            if mode == .primary && !config.keepRules { rules.remove() }
            if enabledByUs { try? control.set(.enabled(0)) }
            try sensor?.stop(into: ingest, keepAttached: config.keepSensor, logger: logger)
            try loop.drainFinal()
            try loop.pollLost()
            let stop = try run.finish(reason: reason, kernelLost: loop.kernelLost, socketOverruns: loop.overruns)
            if mode == .primary {
                do { try control.unregisterDaemon() } catch { logger.warning("unregistering as the audit daemon: \(error)") }
            }
            logger.info("\(reason): \(stop.events) events (\(ingest.stored) new in the store), lost \(stop.kernelLost) in the kernel, \(stop.socketOverruns) socket overruns, \(stop.missingSerials) missing serials")
            if let storeGone { throw CollectorRun.storeGone(storeGone) }
            return stop
        } catch {
            // A failed run leaves the kernel as a clean stop would: its rules
            // removed, the enabled flag back, no audit daemon registered.
            if mode == .primary {
                if !config.keepRules { rules.remove() }
                if enabledByUs { try? control.set(.enabled(0)) }
                try? control.unregisterDaemon()
            }
            throw error
        }
    }

    private func chooseMode(_ status: KernelAuditStatus) throws -> AuditSocket.Mode {
        let daemon = status.pid != 0 && Int32(bitPattern: status.pid) != getpid() && kill(Int32(bitPattern: status.pid), 0) == 0
        switch config.mode {
        case .primary? where daemon:
            throw CollectorError("an audit daemon (pid \(status.pid)) holds the kernel audit socket; stop it or use --mode passive")
        case let mode?:
            return mode
        case nil:
            return daemon ? .passive : .primary
        }
    }
}

public struct CollectorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
