import AuditRules
import AuditStore
import Logging

/// The rule packs a primary collector loads at start, reloads on SIGHUP and
/// removes at stop; every load is a ledger row with the rules' text and hash.
struct RuleKeeper {
    let paths: [String]
    let options: LoadOptions
    let logger: Logger
    private var loaded: RuleSet?
    private var loader: RuleLoader?

    init(paths: [String], options: LoadOptions, logger: Logger) {
        self.paths = paths
        self.options = options
        self.logger = logger
    }

    var summary: String {
        guard let loaded else { return "no rules loaded" }
        return "\(loaded.ruleCount) rules from \(loaded.files.count) file(s), sha256 \(loaded.sha256.prefix(12))"
    }

    /// At start a bad rule file stops the collector before it collects.
    mutating func load(into ingest: Ingest) throws {
        guard !paths.isEmpty else { return }
        let set = try RuleSet.read(paths)
        let loader = try RuleLoader()
        // A collector that was killed left its rules in: replace them.
        _ = try loader.remove(set)
        do {
            try loader.load(set, options: options)
        } catch {
            // A failed file takes back its own rules; the files before it keep
            // theirs unless removed here, and nothing would remove them later.
            _ = try? loader.remove(set)
            throw error
        }
        self.loader = loader
        loaded = set
        ingest.record(Self.row(set))
    }

    /// On SIGHUP a bad file leaves the rules in force as they were.
    mutating func reload(into ingest: Ingest) {
        guard !paths.isEmpty else { logger.info("SIGHUP: no rule files configured"); return }
        do {
            let set = try RuleSet.read(paths)
            let loader = try self.loader ?? RuleLoader()
            let previous = loaded
            if let previous { _ = try loader.remove(previous) }
            loaded = nil
            self.loader = loader
            do {
                try loader.load(set, options: options)
            } catch {
                // The kernel refused a line: take the new set out, put the old one back.
                _ = try? loader.remove(set)
                if let previous, (try? loader.load(previous, options: options)) != nil { loaded = previous }
                throw error
            }
            loaded = set
            ingest.record(Self.row(set))
            logger.info("SIGHUP: reloaded \(summary)")
        } catch {
            logger.error("SIGHUP: rules not reloaded: \(error)")
        }
    }

    mutating func remove() {
        guard let loaded, let loader else { return }
        do { _ = try loader.remove(loaded) } catch { logger.warning("removing the rules this run loaded: \(error)") }
        self.loaded = nil
    }

    static func row(_ set: RuleSet) -> CoverageRow {
        let loaded = Ledger.RulesLoaded(files: set.files, sha256: set.sha256, rules: set.ruleCount, text: set.text,
                                        keys: set.keys, immutable: set.immutable, backlogLimit: set.backlogLimit)
        return CoverageRow(loaded, source: KernelCollector.source, firstTimeMs: Clock.wallMs(), count: Int64(set.ruleCount))
    }
}
