import Crypto
import Foundation
import GRDB

/// A signed statement "batch N of the store whose first batch hashes to S
/// had hash H at time T", kept as a ledger row of kind `checkpoint` and so
/// itself covered by the chain. Anyone holding the public key can check it
/// without the store; `verify` checks every one against the chain.
public enum Checkpoint {
    public struct Detail: Codable, Equatable, Sendable {
        public var batch: Int64
        public var headHash: String
        public var storeID: String
        public var signedAt: String
        public var signedMs: Int64
        public var publicKey: String
        public var signature: String
        public var keyFingerprint: String

        enum CodingKeys: String, CodingKey {
            case batch, signature
            case headHash = "head_hash", storeID = "store_id", signedAt = "signed_at", signedMs = "signed_ms"
            case publicKey = "public_key", keyFingerprint = "key_fingerprint"
        }

        /// The exact bytes signed: one field a line, so they can be rebuilt by hand.
        public var message: Data {
            Data("auditq-checkpoint-v1\nstore \(storeID)\nbatch \(batch)\nhash \(headHash)\nsigned_ms \(signedMs)\n".utf8)
        }

        /// Why the signature does not hold, or nil when it does.
        public var signatureProblem: String? {
            guard let key = Hex.decode(publicKey), let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else {
                return "its public key is not an Ed25519 key"
            }
            guard let signature = Hex.decode(signature), publicKey.isValidSignature(signature, for: message) else {
                return "signature does not verify with its public key \(keyFingerprint)"
            }
            if Checkpoint.fingerprint(key) != keyFingerprint { return "key fingerprint does not match its public key" }
            return nil
        }
    }

    /// "SHA256:" and the first 16 bytes of SHA-256 over the raw public key, in hex.
    public static func fingerprint(_ publicKey: Data) -> String {
        "SHA256:" + Hex.encode(Data(SHA256.hash(data: publicKey)).prefix(16))
    }

    public static func sign(_ key: Curve25519.Signing.PrivateKey, batch: Int64, headHash: Data, storeID: Data,
                            now: Date = Date()) throws -> Detail {
        let ms = Int64(now.timeIntervalSince1970 * 1000)
        let publicKey = key.publicKey.rawRepresentation
        var detail = Detail(batch: batch, headHash: Hex.encode(headHash), storeID: Hex.encode(storeID),
                            signedAt: ChainVerifier.time(ms), signedMs: ms, publicKey: Hex.encode(publicKey),
                            signature: "", keyFingerprint: fingerprint(publicKey))
        detail.signature = Hex.encode(try key.signature(for: detail.message))
        return detail
    }

    /// Signs the current chain head and commits the checkpoint as a ledger
    /// row in a batch of its own. Returns the detail and that batch's id.
    public static func create(_ store: EventStore, keyFile: String) throws -> (Detail, Int64) {
        let key = try SigningKey.privateKey(at: keyFile)
        let head = try store.pool.read { db -> (Int64, Data, Data)? in
            guard let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM batch ORDER BY id DESC LIMIT 1"),
                  let first = try Data.fetchOne(db, sql: "SELECT hash FROM batch WHERE id = 1") else { return nil }
            return (last["id"], last["hash"], first)
        }
        guard let (batch, hash, storeID) = head else { throw CheckpointError.emptyStore }
        let detail = try sign(key, batch: batch, headHash: hash, storeID: storeID)
        let row = CoverageRow(detail, source: "auditq checkpoint", count: batch)
        let result = try EventWriter(store: store).commit(events: [], coverage: [row], source: "checkpoint")
        return (detail, result.batchID ?? batch + 1)
    }

    /// A checkpoint row that does not hold: `batch` is the batch holding the row.
    public struct Problem: Sendable {
        public var batch: Int64
        public var coverageID: Int64
        public var why: String
        public var line: String { "checkpoint (ledger row \(coverageID) in batch \(batch)): \(why)" }
    }

    public struct Summary: Sendable {
        public var count = 0
        public var latest: Detail?
        public var problem: Problem?
    }

    /// Every checkpoint row against the store's own batch rows: the signature,
    /// the batch and hash it names, the store it names, the key if one is required.
    public static func check(_ db: Database, requiredKey: Data? = nil) throws -> Summary {
        var summary = Summary()
        let storeID = try Data.fetchOne(db, sql: "SELECT hash FROM batch WHERE id = 1")
        let rows = try GRDB.Row.fetchAll(db, sql: """
            SELECT c.id, c.detail, b.id AS batch FROM coverage c LEFT JOIN batch b
              ON c.id BETWEEN b.first_coverage AND b.last_coverage WHERE c.kind = ? ORDER BY c.id
            """, arguments: [Ledger.Kind.checkpoint.rawValue])
        for row in rows {
            let coverageID: Int64 = row["id"]
            let holder: Int64 = row["batch"] ?? 0
            func fail(_ why: String) -> Summary {
                summary.problem = Problem(batch: holder, coverageID: coverageID, why: why)
                return summary
            }
            guard let text: String = row["detail"],
                  let detail = try? JSONDecoder().decode(Detail.self, from: Data(text.utf8)) else {
                return fail("its detail is not a checkpoint")
            }
            if let why = detail.signatureProblem { return fail(why) }
            if let requiredKey, detail.publicKey != Hex.encode(requiredKey) {
                return fail("signed by key \(detail.keyFingerprint), not the required key \(fingerprint(requiredKey))")
            }
            guard let named = try Data.fetchOne(db, sql: "SELECT hash FROM batch WHERE id = ?", arguments: [detail.batch]) else {
                return fail("names batch \(detail.batch), which the store does not have")
            }
            if Hex.encode(named) != detail.headHash { return fail("batch \(detail.batch) does not have the hash it signed") }
            if holder != 0 && detail.batch >= holder { return fail("names batch \(detail.batch), not one before its own") }
            if let storeID, Hex.encode(storeID) != detail.storeID { return fail("was signed for another store") }
            summary.count += 1
            summary.latest = detail
        }
        if let requiredKey, summary.count == 0 {
            summary.problem = Problem(batch: 0, coverageID: 0, why: "no checkpoint signed by \(fingerprint(requiredKey))")
        }
        return summary
    }
}

public enum CheckpointError: Error, CustomStringConvertible {
    case emptyStore
    case badKey(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyStore: "the store has no batches yet: nothing to sign"
        case .badKey(let path, let reason): "\(path): \(reason)"
        }
    }
}

enum Hex {
    static func encode<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func decode(_ text: String) -> Data? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = Data(capacity: chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
