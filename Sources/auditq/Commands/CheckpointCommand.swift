import ArgumentParser
import AuditCLI
import AuditStore
import Foundation

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign the store's chain head with an Ed25519 key, or create a key pair.",
        discussion: """
        --sign KEYFILE signs the last batch's id and hash, the store's identity (the hash of its first \
        batch) and the time, and commits the signature as a ledger row of kind checkpoint in a batch of \
        its own, so the checkpoint is itself covered by the chain. 'auditq verify' checks every \
        checkpoint; 'auditq export --evidence' carries the latest one. Checkpoints are always signed: \
        a bare hash would prove nothing to someone who cannot trust the store. \
        --new-key KEYFILE writes a new private key to KEYFILE (mode 0600, text: the 32-byte Ed25519 \
        seed in base64 between 'BEGIN/END AUDITQ ED25519 PRIVATE KEY' lines) and the public key in hex \
        to KEYFILE.pub, and prints the public key and its fingerprint.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Sign the chain head with this private key file.", valueName: "keyfile"))
    var sign: String?

    @Option(name: .customLong("new-key"), help: ArgumentHelp("Create a key pair: KEYFILE (private, mode 0600) and KEYFILE.pub.", valueName: "keyfile"))
    var newKey: String?

    func validate() throws {
        switch (sign, newKey) {
        case (nil, nil): throw ValidationError("give --sign KEYFILE (checkpoints are signed) or --new-key KEYFILE")
        case (.some, .some): throw ValidationError("--sign and --new-key cannot be combined")
        default: break
        }
    }

    func run() throws {
        if let newKey {
            do {
                let key = try SigningKey.create(at: newKey)
                print("public key \(key.map { String(format: "%02x", $0) }.joined()) (\(Checkpoint.fingerprint(key)))")
                print("private key: \(newKey) (keep it off the audited host); public key: \(newKey).pub")
            } catch {
                throw Failure.exit("\(error)", code: .cannotCreate)
            }
            return
        }
        guard let sign else { return }
        do {
            let store = try storeOptions.open(.write)
            let (detail, batch) = try Checkpoint.create(store, keyFile: sign)
            print("checkpoint of batch \(detail.batch) (head \(detail.headHash)) signed by \(detail.keyFingerprint), committed in batch \(batch)")
        } catch let e as CheckpointError {
            if case .badKey = e { throw Failure.exit(e.description, code: .noInput) }
            throw Failure.exit(e.description, code: .dataError)
        } catch {
            throw Failure.exit(error)
        }
    }
}
