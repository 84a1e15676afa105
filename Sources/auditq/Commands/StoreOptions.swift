import ArgumentParser
import AuditStore

/// `--store PATH`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (default: $AUDITQ_STORE, else /var/lib/auditq/auditq.db as root, ./auditq.db otherwise).", valueName: "path"))
    var store: String?

    var path: String { StorePath.resolve(store) }
}
