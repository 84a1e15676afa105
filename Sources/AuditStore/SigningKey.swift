import Crypto
import Foundation

/// Ed25519 key files for checkpoints. The private key file is text:
///
///     -----BEGIN AUDITQ ED25519 PRIVATE KEY-----
///     <base64 of the 32-byte seed>
///     -----END AUDITQ ED25519 PRIVATE KEY-----
///
/// written with mode 0600; the public key file (KEYFILE.pub) is the 32-byte
/// key in hex on one line. Readers also take the raw 32 bytes, or 64 hex digits.
public enum SigningKey {
    static let begin = "-----BEGIN AUDITQ ED25519 PRIVATE KEY-----"
    static let end = "-----END AUDITQ ED25519 PRIVATE KEY-----"

    /// Creates a key pair; refuses to overwrite either file. Returns the public key.
    public static func create(at path: String) throws -> Data {
        let key = Curve25519.Signing.PrivateKey()
        let text = "\(begin)\n\(key.rawRepresentation.base64EncodedString())\n\(end)\n"
        let pub = Hex.encode(key.publicKey.rawRepresentation) + "\n"
        for p in [path, path + ".pub"] where FileManager.default.fileExists(atPath: p) {
            throw CheckpointError.badKey(path: p, reason: "already exists; not overwriting a key")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CheckpointError.badKey(path: path, reason: String(cString: strerror(errno))) }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        guard written == text.utf8.count else { throw CheckpointError.badKey(path: path, reason: "short write") }
        guard FileManager.default.createFile(atPath: path + ".pub", contents: Data(pub.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw CheckpointError.badKey(path: path + ".pub", reason: "cannot create")
        }
        return key.publicKey.rawRepresentation
    }

    public static func privateKey(at path: String) throws -> Curve25519.Signing.PrivateKey {
        let bytes = try read(path, begin: begin, end: end)
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: bytes) } catch {
            throw CheckpointError.badKey(path: path, reason: "not an Ed25519 private key")
        }
    }

    public static func publicKey(at path: String) throws -> Data {
        let bytes = try read(path, begin: nil, end: nil)
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else {
            throw CheckpointError.badKey(path: path, reason: "not an Ed25519 public key")
        }
        return bytes
    }

    private static func read(_ path: String, begin: String?, end: String?) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.badKey(path: path, reason: "cannot read the key file")
        }
        if data.count == 32 { return data }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let begin, let end, text.hasPrefix(begin), text.hasSuffix(end) {
            let body = text.dropFirst(begin.count).dropLast(end.count).filter { !$0.isWhitespace }
            if let d = Data(base64Encoded: String(body)), d.count == 32 { return d }
        } else if text.utf8.count == 64, let d = Hex.decode(text) {
            return d
        }
        throw CheckpointError.badKey(path: path, reason: "not a key file (expected \(begin == nil ? "64 hex digits" : "an auditq Ed25519 private key"))")
    }
}
