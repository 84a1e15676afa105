import ArgumentParser
import AuditStore
import Foundation

/// `--store PATH`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (default: $AUDITQ_STORE, else /var/lib/auditq/auditq.db as root, ./auditq.db otherwise).", valueName: "path"))
    var store: String?

    var path: String { StorePath.resolve(store) }

    /// Opens the store. A reader of a store whose chain falls short of its
    /// head file reads what is left and says so in one line on stderr.
    func open(_ access: EventStore.Access) throws -> EventStore {
        let store = try EventStore(path: path, access: access)
        if let problem = store.headProblem {
            FileHandle.standardError.write(Data("auditq: warning: \(path): \(problem); run auditq verify\n".utf8))
        }
        return store
    }
}
