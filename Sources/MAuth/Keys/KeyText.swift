import Foundation

/// The bounds on key text read from a file, the environment or a MAuth service.
enum KeyText {
    /// The most PEM text a key may take: an RSA-16384 private key in PKCS#8 is under 13 KiB, so
    /// anything past 64 KiB is not a key, and parsing it would cost time and memory for nothing.
    static let largestSize = 64 * 1024

    /// The text of the key file at `path`, read without going past ``largestSize``.
    static func read(_ path: String, kind: String) throws(MAuthError) -> String {
        let data: Data
        do {
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? file.close() }
            data = try file.read(upToCount: largestSize + 1) ?? Data()
        } catch {
            throw MAuthError(.invalidKey, "cannot read the \(kind) file '\(path)': \(error.localizedDescription)")
        }
        guard data.count <= largestSize else {
            throw MAuthError(
                .invalidKey, "the \(kind) file '\(path)' is over \(largestSize / 1024) KiB, too large for a key")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MAuthError(.invalidKey, "the \(kind) file '\(path)' is not PEM text (it is not UTF-8)")
        }
        return text
    }
}
